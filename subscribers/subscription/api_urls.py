"""Subscription API routes under /api/: public ones and the admin's resend."""

from django.urls import path

from subscribers.subscription import api

urlpatterns = [
    path(
        "public/subscription",
        api.PublicSubscriptionView.as_view(),
        name="api-public-subscription",
    ),
    path("public/lists", api.PublicListsView.as_view(), name="api-public-lists"),
    path(
        "subscribers/<int:pk>/optin",
        api.ResendOptinView.as_view(),
        name="api-subscriber-optin",
    ),
]
