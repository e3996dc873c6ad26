"""Settings → Bounces (mounted under settings/; no route overlaps another settings include)."""

from django.urls import path

from bounces.settings_pages import views

app_name = "bounce_settings"

urlpatterns = [
    path("bounces", views.bounce_settings, name="index"),
    path("bounces/reapply", views.reapply, name="reapply"),
]
