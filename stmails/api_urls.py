"""Routes under /api/, with listmonk's paths."""

from django.urls import include, path

urlpatterns = [
    path("", include("stmails.settings_api_urls")),
    path("", include("subscribers.public_api_urls")),
    path("", include("subscribers.api_urls")),
    path("", include("subscribers.import_api_urls")),
    path("", include("bounces.api_urls")),
    path("", include("campaigns.api_urls")),
]
