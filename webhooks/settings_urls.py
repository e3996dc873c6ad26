"""Settings → Bounces → Provider webhooks (mounted under settings/)."""

from django.urls import path

from webhooks import settings_views

app_name = "webhook_settings"

urlpatterns = [
    path("bounces/providers", settings_views.providers, name="providers"),
    path("bounces/providers/ses-arm", settings_views.ses_arm, name="ses_arm"),
    path("bounces/webhook-events", settings_views.events, name="events"),
    path(
        "bounces/webhook-events/<int:event_id>/rerun",
        settings_views.rerun,
        name="rerun",
    ),
]

# --- custom provider endpoints (helper K) ---------------------------------------
from webhooks import custom_settings_views  # noqa: E402

urlpatterns += [
    path(
        "bounces/providers/custom/new",
        custom_settings_views.custom_endpoint,
        name="custom_new",
    ),
    path(
        "bounces/providers/custom/<uuid:uuid>",
        custom_settings_views.custom_endpoint,
        name="custom_edit",
    ),
]
