"""Settings → Bounces → Provider webhooks (mounted under settings/)."""

from django.urls import path

from webhooks.settings_pages import custom_views, views

app_name = "webhook_settings"

urlpatterns = [
    path("bounces/providers", views.providers, name="providers"),
    path("bounces/providers/ses-arm", views.ses_arm, name="ses_arm"),
    path("bounces/webhook-events", views.events, name="events"),
    path(
        "bounces/webhook-events/<int:event_id>/rerun",
        views.rerun,
        name="rerun",
    ),
    # The custom provider's endpoints (bounce.custom_providers).
    path(
        "bounces/providers/custom/new",
        custom_views.custom_endpoint,
        name="custom_new",
    ),
    path(
        "bounces/providers/custom/<uuid:uuid>",
        custom_views.custom_endpoint,
        name="custom_edit",
    ),
]
