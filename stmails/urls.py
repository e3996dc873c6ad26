from django.contrib.auth import views as auth_views
from django.urls import include, path

from monitoring.dashboard import views as dashboard_views
from monitoring.health import views as health_views
from monitoring.metrics import views as metrics_views
from stmails import views

urlpatterns = [
    # Machine traffic first: bounce webhooks are the busiest route.
    path("webhooks/", include("webhooks.urls")),
    path("api/", include("stmails.api.urls")),
    # Tracking links and pixels: public, the busiest routes after webhooks.
    path("", include("campaigns.tracking.urls")),
    path("", dashboard_views.dashboard_view, name="dashboard"),
    path("setup", views.setup, name="setup"),
    path("login", views.LoginView.as_view(), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password", views.password_change, name="password_change"),
    path("health", views.health, name="health"),
    path("health/status", health_views.health_status, name="health_status"),
    path("metrics", metrics_views.metrics_view, name="metrics"),
    # Settings: each include owns its paths (settings/bounces..., settings/smtp,
    # settings/<registry section>...); none is a catch-all, so order is free.
    path("settings/", include("stmails.settings_pages.urls")),
    path("settings/", include("bounces.settings_pages.urls")),
    path("settings/", include("bounces.mailboxes.urls")),
    path("settings/", include("webhooks.settings_pages.urls")),
    path("settings/", include("campaigns.maintenance_urls")),
    path("", include("monitoring.selftest.urls")),
    # listmonk's /subscription/... links in mail sent before an import: first,
    # as their uuid shape would otherwise reach the signed-token routes.
    path("", include("listmonk_import.urls")),
    path("", include("subscribers.subscription.urls")),
    path("", include("subscribers.urls")),
    path("", include("subscribers.imports.urls")),
    path("bounces/", include("bounces.urls")),
    path("", include("monitoring.deliverability.urls")),
    path("", include("monitoring.analytics.urls")),
    path("alerts", include("monitoring.alerts.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("templates/", include("campaigns.urls_templates")),
    path("", include("campaigns.public_urls")),
]

handler400 = "stmails.error_views.bad_request"
handler403 = "stmails.error_views.permission_denied"
handler404 = "stmails.error_views.page_not_found"
handler500 = "stmails.error_views.server_error"
