"""/api/campaigns, /api/tx and /api/templates, with listmonk's paths (no trailing slash)."""

from django.urls import path

from campaigns import (
    api,
    api_archive,
    api_content,
    api_maintenance,
    api_templates,
    api_tx,
)

urlpatterns = [
    path("campaigns", api.CampaignsView.as_view(), name="api-campaigns"),
    path(
        "campaigns/running/stats",
        api_content.RunningStatsView.as_view(),
        name="api-campaigns-running-stats",
    ),
    path(
        "campaigns/<int:pk>/preview",
        api_content.CampaignPreviewView.as_view(),
        name="api-campaign-preview",
    ),
    path(
        "campaigns/<int:pk>/preview/archive",
        api_archive.CampaignArchivePreviewView.as_view(),
        name="api-campaign-preview-archive",
    ),
    path(
        "campaigns/<int:pk>/archive",
        api_archive.CampaignArchiveView.as_view(),
        name="api-campaign-archive",
    ),
    path(
        "campaigns/<int:pk>/text",
        api_content.CampaignTextView.as_view(),
        name="api-campaign-text",
    ),
    path(
        "campaigns/<int:pk>/content",
        api_content.CampaignContentView.as_view(),
        name="api-campaign-content",
    ),
    path("campaigns/<int:pk>", api.CampaignView.as_view(), name="api-campaign"),
    path(
        "campaigns/<int:pk>/status",
        api.CampaignStatusView.as_view(),
        name="api-campaign-status",
    ),
    path(
        "campaigns/<int:pk>/test",
        api_tx.CampaignTestView.as_view(),
        name="api-campaign-test",
    ),
    path(
        "maintenance/subscribers/<str:kind>",
        api_maintenance.SubscribersGCView.as_view(),
        name="api-maintenance-subscribers",
    ),
    path(
        "maintenance/subscriptions/unconfirmed",
        api_maintenance.SubscriptionsGCView.as_view(),
        name="api-maintenance-subscriptions",
    ),
    path(
        "maintenance/analytics/<str:kind>",
        api_maintenance.AnalyticsGCView.as_view(),
        name="api-maintenance-analytics",
    ),
    path("tx", api_tx.TxView.as_view(), name="api-tx"),
    path("tx/messages", api_tx.TxMessagesView.as_view(), name="api-tx-messages"),
    path("public/archive", api.PublicArchiveView.as_view(), name="api-public-archive"),
    path("templates", api_templates.TemplatesView.as_view(), name="api-templates"),
    path(
        "templates/preview",
        api_templates.TemplatePreviewView.as_view(),
        name="api-template-preview-new",
    ),
    path(
        "templates/<int:pk>",
        api_templates.TemplateView.as_view(),
        name="api-template",
    ),
    path(
        "templates/<int:pk>/default",
        api_templates.TemplateDefaultView.as_view(),
        name="api-template-default",
    ),
    path(
        "templates/<int:pk>/preview",
        api_templates.SavedTemplatePreviewView.as_view(),
        name="api-template-preview",
    ),
]
