"""/api/campaigns/analytics/...: included before campaigns' own API routes
(stmails/api/urls.py), though /api/campaigns/<int:pk> could not match these."""

from django.urls import path

from monitoring.analytics.api import AnalyticsView
from monitoring.analytics.queries import KINDS

urlpatterns = [
    path(
        f"campaigns/analytics/{kind}",
        AnalyticsView.as_view(kind=kind),
        name=f"api-analytics-{kind}",
    )
    for kind in KINDS
]
