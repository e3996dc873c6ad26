"""Settings → Bounces (mounted under settings/, before the other settings pages)."""

from django.urls import path

from bounces import settings_views

app_name = "bounce_settings"

urlpatterns = [
    path("bounces", settings_views.bounce_settings, name="index"),
    path("bounces/reapply", settings_views.reapply, name="reapply"),
]
