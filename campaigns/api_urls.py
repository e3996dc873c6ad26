"""/api/campaigns, with listmonk's paths (no trailing slash)."""

from django.urls import path

from campaigns import api, api_tx

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
]
