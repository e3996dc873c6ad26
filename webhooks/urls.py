"""/webhooks/...: the generic bounce webhook (provider routes come with their issue)."""

from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("bounce", views.BounceWebhookView.as_view(), name="bounce"),
]
