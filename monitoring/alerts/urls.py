"""/alerts: the incidents of the alert rules (Settings → Alerts sets thresholds)."""

from django.urls import path

from monitoring.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.incidents, name="index"),
]
