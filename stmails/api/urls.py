"""Routes under /api/, with listmonk's paths."""

from django.urls import include, path

from stmails.api.health import HealthView
from stmails.api.openapi_views import OpenApiView

urlpatterns = [
    path("health", HealthView.as_view(), name="api-health"),
    path("openapi.json", OpenApiView.as_view(), name="api-openapi"),
    path("", include("stmails.settings_pages.api_urls")),
    path("", include("subscribers.subscription.api_urls")),
    path("", include("subscribers.api_urls")),
    path("", include("subscribers.imports.api_urls")),
    path("", include("bounces.api_urls")),
    # Before campaigns' routes: /api/campaigns/analytics/... is analytics'.
    path("", include("monitoring.analytics.api_urls")),
    path("", include("campaigns.api_urls")),
]
