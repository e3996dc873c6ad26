"""/api/subscribers and /api/lists, with listmonk's paths (no trailing slash)."""

from django.urls import path

from subscribers import api, api_lists

urlpatterns = [
    path("subscribers", api.SubscribersView.as_view(), name="api-subscribers"),
    path("subscribers/blocklist", api.BlocklistView.as_view(), name="api-blocklist"),
    path("subscribers/lists", api.MembershipsView.as_view(), name="api-memberships"),
    path("subscribers/<int:pk>", api.SubscriberView.as_view(), name="api-subscriber"),
    path(
        "subscribers/<int:pk>/blocklist",
        api.SubscriberBlocklistView.as_view(),
        name="api-subscriber-blocklist",
    ),
    path("lists", api_lists.ListsView.as_view(), name="api-lists"),
    path("lists/<int:pk>", api_lists.ListView.as_view(), name="api-list"),
]
