"""/api/campaigns, /api/tx and /api/templates, with listmonk's paths (no trailing slash)."""

from django.urls import path

from campaigns import api, api_templates, api_tx

urlpatterns = [
    path("campaigns", api.CampaignsView.as_view(), name="api-campaigns"),
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
