"""Settings → Bounces → Bounce mailboxes (mounted under settings/)."""

from django.urls import path

from bounces import mailbox_views

app_name = "bounce_mailboxes"

urlpatterns = [
    path("bounces/mailboxes", mailbox_views.mailboxes, name="index"),
    path("bounces/mailboxes/new", mailbox_views.mailbox_edit, name="new"),
    path("bounces/mailboxes/<uuid:uuid>", mailbox_views.mailbox_edit, name="edit"),
    path("bounces/mailboxes/<uuid:uuid>/test", mailbox_views.mailbox_test, name="test"),
    path("bounces/mailboxes/<uuid:uuid>/scan", mailbox_views.mailbox_scan, name="scan"),
    path(
        "bounces/mailboxes/<uuid:uuid>/status",
        mailbox_views.mailbox_status,
        name="status",
    ),
    path(
        "bounces/mailboxes/<uuid:uuid>/delete",
        mailbox_views.mailbox_delete,
        name="delete",
    ),
]
