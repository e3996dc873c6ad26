"""Settings → Maintenance (mounted under /settings/)."""

from django.urls import path

from campaigns import views_maintenance

app_name = "maintenance"

urlpatterns = [path("maintenance", views_maintenance.index, name="index")]
