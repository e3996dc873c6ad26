"""The mailbox rule against real scans of a real Dovecot: a wrong password fails
N scans in a row (one incident), the right one recovers it."""

from __future__ import annotations

import uuid

import pytest

from bounces.mailboxes import scanning
from bounces.models import MailboxScan
from monitoring.models import AlertIncident
from stmails.config import update_settings
from tests.bounces.mailboxes.conftest import dovecot_server, mail_user  # noqa: F401
from tests.bounces.mailboxes.helpers import configure

from .conftest import open_incidents

pytestmark = pytest.mark.django_db


@pytest.fixture
def scans_on(only_rule):
    only_rule("mailbox_failed_scans")  # default: 3 in a row
    update_settings({"bounce.enabled": True})


def test_it_alerts_on_a_mailbox_failing_scans_in_a_row(scans_on, mail_user, evaluate):  # noqa: F811
    [box] = configure(mail_user.box("imap", password="wrong-password"))
    key = f"mailbox_failed_scans:{box['uuid']}"
    for _ in range(2):
        assert scanning.scan_mailbox(box).error
    assert evaluate().opened == []  # two failures are not three
    assert scanning.scan_mailbox(box).error
    assert evaluate().opened == [key]
    assert scanning.scan_mailbox(box).error
    assert evaluate().opened == []  # still the same incident
    (incident,) = open_incidents()
    assert incident.details["mailbox"] == box["name"]
    assert incident.details["last_error"]

    [box] = configure(mail_user.box("imap"))  # the right password
    assert not scanning.scan_mailbox(box).error
    assert evaluate().recovered == [key]
    assert evaluate().recovered == []
    incident.refresh_from_db()
    assert incident.closed_at and incident.recovery_notified_at
    assert AlertIncident.objects.count() == 1


def scan(box_uuid: str, status: str, **kw) -> MailboxScan:
    return MailboxScan.objects.create(
        mailbox_uuid=box_uuid, mailbox_name="bounces", status=status, **kw
    )


def test_it_counts_only_finished_real_scans_of_enabled_mailboxes(scans_on, evaluate):
    [box] = configure(
        {"name": "bounces", "host": "mail.example.com", "auth_protocol": "none"}
    )
    for _ in range(2):
        scan(box["uuid"], "failed", error="login failed")
    scan(box["uuid"], "abandoned")  # neither counts nor breaks the series
    scan(box["uuid"], "failed", dry_run=True)  # a manual test: not counted
    assert evaluate().opened == []

    scan(box["uuid"], "failed", error="login failed")
    assert evaluate().opened == [f"mailbox_failed_scans:{box['uuid']}"]

    # A disabled mailbox is not scanned, so it could never recover: left out.
    configure({**box, "enabled": False})
    result = evaluate()
    assert result.recovered == [f"mailbox_failed_scans:{box['uuid']}"]
    for _ in range(3):
        scan(str(uuid.uuid4()), "failed")  # a mailbox no longer configured
    assert evaluate().opened == []
