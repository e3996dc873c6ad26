"""/api/subscribers and /api/lists, with listmonk's paths (no trailing slash)."""

from django.urls import path

from subscribers import api, api_lists, api_query

urlpatterns = [
    path("subscribers", api.SubscribersView.as_view(), name="api-subscribers"),
    path("subscribers/blocklist", api.BlocklistView.as_view(), name="api-blocklist"),
    path("subscribers/lists", api.MembershipsView.as_view(), name="api-memberships"),
    path(
        "subscribers/lists/<int:pk>",
        api_query.SubscriberListsView.as_view(),
        name="api-subscriber-lists",
    ),
    path(
        "subscribers/query/delete",
        api_query.QueryDeleteView.as_view(),
        name="api-query-delete",
    ),
    path(
        "subscribers/query/blocklist",
        api_query.QueryBlocklistView.as_view(),
        name="api-query-blocklist",
    ),
    path(
        "subscribers/query/lists",
        api_query.QueryListsView.as_view(),
        name="api-query-lists",
    ),
    path("subscribers/<int:pk>", api.SubscriberView.as_view(), name="api-subscriber"),
    path(
        "subscribers/<int:pk>/export",
        api_query.SubscriberExportView.as_view(),
        name="api-subscriber-export",
    ),
    path(
        "subscribers/<int:pk>/activity",
        api_query.SubscriberActivityView.as_view(),
        name="api-subscriber-activity",
    ),
    path(
        "subscribers/<int:pk>/blocklist",
        api.SubscriberBlocklistView.as_view(),
        name="api-subscriber-blocklist",
    ),
    path("lists", api_lists.ListsView.as_view(), name="api-lists"),
    path("lists/<int:pk>", api_lists.ListView.as_view(), name="api-list"),
]
