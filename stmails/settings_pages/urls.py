"""Settings pages of the core, mounted at settings/ (see stmails/urls.py).

Every route here is a literal path except `section`, whose converter matches
only the registry tabs (views.TABS): it cannot take another app's
settings/<page>, so the order of the settings includes does not matter.
"""

import re

from django.urls import path, register_converter
from django.urls.converters import StringConverter

from stmails.event_hooks import views as hook_views
from stmails.settings_pages import views


class RegistrySection(StringConverter):
    """The slug of a tab rendered from the registry alone (General, Sending...)."""

    regex = "|".join(re.escape(tab.slug) for tab in views.TABS if tab.from_registry)


register_converter(RegistrySection, "registry_section")

app_name = "settings"

urlpatterns = [
    path("", views.index, name="index"),
    path("smtp", views.smtp, name="smtp"),
    path("smtp/new", views.smtp_server, name="smtp-new"),
    path("smtp/<uuid:uuid>", views.smtp_server, name="smtp-edit"),
    path("smtp/<uuid:uuid>/test", views.smtp_test, name="smtp-test"),
    path("smtp/<uuid:uuid>/delete", views.smtp_delete, name="smtp-delete"),
    path("users", views.users, name="users"),
    path("users/admins/new", views.admin_add, name="admin-add"),
    path("users/admins/<int:pk>/delete", views.admin_delete, name="admin-delete"),
    path("users/api/new", views.api_user_add, name="api-user-add"),
    path("users/api/<int:pk>/revoke", views.api_user_revoke, name="api-user-revoke"),
    path("audit", views.audit, name="audit"),
    path("event-webhooks", hook_views.hooks, name="event-webhooks"),
    path("event-webhooks/new", hook_views.hook_new, name="event-webhook-new"),
    path("event-webhooks/<int:pk>", hook_views.hook_edit, name="event-webhook-edit"),
    path(
        "event-webhooks/<int:pk>/rotate",
        hook_views.hook_rotate,
        name="event-webhook-rotate",
    ),
    path(
        "event-webhooks/<int:pk>/toggle",
        hook_views.hook_toggle,
        name="event-webhook-toggle",
    ),
    path(
        "event-webhooks/<int:pk>/delete",
        hook_views.hook_delete,
        name="event-webhook-delete",
    ),
    path(
        "event-webhooks/<int:pk>/test", hook_views.hook_test, name="event-webhook-test"
    ),
    path(
        "event-webhooks/<int:pk>/deliveries",
        hook_views.deliveries,
        name="event-webhook-deliveries",
    ),
    path(
        "event-webhooks/<int:pk>/deliveries/retry-failed",
        hook_views.retry_failed,
        name="event-webhook-retry-failed",
    ),
    path(
        "event-webhooks/<int:pk>/deliveries/<int:delivery_id>",
        hook_views.delivery,
        name="event-webhook-delivery",
    ),
    path(
        "event-webhooks/<int:pk>/deliveries/<int:delivery_id>/retry",
        hook_views.delivery_retry,
        name="event-webhook-delivery-retry",
    ),
    path("<registry_section:name>", views.section, name="section"),
]
