"""The subscription flow's pages: public ones (no login) and the admin's resend button."""

from django.urls import path

from subscribers.subscription import views

app_name = "subscription"

urlpatterns = [
    path("subscription/form", views.subscription_form, name="form"),
    path("subscription/optin/<str:token>", views.optin_confirm, name="optin"),
    path(
        "subscription/unsubscribe/<str:token>",
        views.unsubscribe,
        name="unsubscribe",
    ),
    path("subscription/<str:token>", views.preferences, name="preferences"),
    path("subscribers/<int:pk>/optin", views.resend_optin, name="resend_optin"),
]
