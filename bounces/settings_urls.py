"""Settings → Bounces (mounted at settings/bounces, before the other settings pages)."""

from django.urls import path

from bounces import settings_views

app_name = "bounce_settings"

urlpatterns = [
    path("", settings_views.bounce_settings, name="index"),
    path("reapply", settings_views.reapply, name="reapply"),
]
