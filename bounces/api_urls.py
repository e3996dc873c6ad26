"""/api/bounces and /api/subscribers/{id}/bounces, with listmonk's paths (no trailing slash)."""

from django.urls import path

from bounces import api

urlpatterns = [
    path("bounces", api.BouncesView.as_view(), name="api-bounces"),
    path(
        "bounces/blocklist", api.BlocklistView.as_view(), name="api-bounces-blocklist"
    ),
    path("bounces/<int:pk>", api.BounceView.as_view(), name="api-bounce"),
    path(
        "subscribers/<int:pk>/bounces",
        api.SubscriberBouncesView.as_view(),
        name="api-subscriber-bounces",
    ),
]
