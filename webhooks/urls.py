"""/webhooks/...: the generic bounce webhook and the provider webhooks.

Provider routes always exist (no restart when one is enabled, unlike listmonk
#2797): a disabled or unknown provider answers 404, read per request.
"""

from django.urls import path

from webhooks import custom_views, service_views, views

app_name = "webhooks"

urlpatterns = [
    path("bounce", views.BounceWebhookView.as_view(), name="bounce"),
    path(
        "service/custom/<slug:slug>",
        custom_views.custom_webhook,
        name="custom",
    ),
    path(
        "service/<slug:provider>",
        service_views.service_webhook,
        name="service",
    ),
]
