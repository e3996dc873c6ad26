"""/alerts: the incidents of the alert rules (Settings → Alerts sets thresholds)."""

from django.urls import path

from webhooks import alert_views

app_name = "alerts"

urlpatterns = [
    path("", alert_views.incidents, name="index"),
]
