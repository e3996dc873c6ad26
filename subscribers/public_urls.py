"""The subscription flow's pages: public ones (no login) and the admin's resend button."""

from django.urls import path

from subscribers import public_views

app_name = "subscription"

urlpatterns = [
    path("subscription/form", public_views.subscription_form, name="form"),
    path("subscription/optin/<str:token>", public_views.optin_confirm, name="optin"),
    path(
        "subscription/unsubscribe/<str:token>",
        public_views.unsubscribe,
        name="unsubscribe",
    ),
    path("subscription/<str:token>", public_views.preferences, name="preferences"),
    path("subscribers/<int:pk>/optin", public_views.resend_optin, name="resend_optin"),
]
