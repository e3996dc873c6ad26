"""Settings → Bounces → Bounce mailboxes (mounted under settings/)."""

from django.urls import path

from bounces.mailboxes import views

app_name = "bounce_mailboxes"

urlpatterns = [
    path("bounces/mailboxes", views.mailboxes, name="index"),
    path("bounces/mailboxes/new", views.mailbox_edit, name="new"),
    path("bounces/mailboxes/<uuid:uuid>", views.mailbox_edit, name="edit"),
    path("bounces/mailboxes/<uuid:uuid>/test", views.mailbox_test, name="test"),
    path("bounces/mailboxes/<uuid:uuid>/scan", views.mailbox_scan, name="scan"),
    path(
        "bounces/mailboxes/<uuid:uuid>/status",
        views.mailbox_status,
        name="status",
    ),
    path(
        "bounces/mailboxes/<uuid:uuid>/delete",
        views.mailbox_delete,
        name="delete",
    ),
]
