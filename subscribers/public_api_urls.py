"""Subscription API routes under /api/: public ones and the admin's resend."""

from django.urls import path

from subscribers import public_api

urlpatterns = [
    path(
        "public/subscription",
        public_api.PublicSubscriptionView.as_view(),
        name="api-public-subscription",
    ),
    path("public/lists", public_api.PublicListsView.as_view(), name="api-public-lists"),
    path(
        "subscribers/<int:pk>/optin",
        public_api.ResendOptinView.as_view(),
        name="api-subscriber-optin",
    ),
]
