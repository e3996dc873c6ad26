"""scan_mailboxes (foreground) and the beat task that enqueues due mailboxes."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from bounces import tasks
from bounces.models import Bounce, MailboxScan
from stmails.config import update_settings
from tests.bounces.mailboxes.helpers import configure
from tests.bounces.mailboxes.messages import dsn, plain


def _run(*args) -> str:
    out = io.StringIO()
    call_command("scan_mailboxes", *args, stdout=out)
    return out.getvalue()


def test_it_scans_every_enabled_mailbox_and_prints_a_summary(
    bounces_on, dovecot_server, make_subscriber
):
    make_subscriber("dead@example.com")
    one, two, off = (dovecot_server.add_user() for _ in range(3))
    one.deliver(dsn("dead@example.com", n=1))
    two.deliver(dsn("other@example.org", n=2))
    two.deliver(plain())
    off.deliver(dsn("dead@example.com", n=3))
    configure(
        one.box("pop", name="one"),
        two.box("imap", name="two"),
        off.box(name="off", enabled=False),
    )

    out = _run()

    assert "one: 1 new message(s) of 1, 0 already processed" in out
    assert "bounces recorded: hard 1, soft 0, complaint 0" in out
    assert "two: 2 new message(s) of 2" in out
    assert "unmatched: 1, not bounces: 1, unparseable: 0, errors: 0" in out
    assert "off" not in out
    assert off.count() == 1


def test_it_dry_runs_one_mailbox_with_a_limit(bounces_on, mail_user, make_subscriber):
    make_subscriber("dead@example.com")
    for n in range(3):
        mail_user.deliver(dsn("dead@example.com", n=n))
    configure(mail_user.box("pop", name="main"))

    out = _run("--mailbox", "main", "--dry-run", "--limit", "2")

    assert "main (dry run): 2 new message(s) of 3" in out
    assert "hard 2" in out
    assert not Bounce.objects.exists()
    assert mail_user.count() == 3


def test_it_fails_with_one_line(bounces_on, mail_user):
    configure(mail_user.box("pop", name="main", password="wrong"))

    with pytest.raises(CommandError, match="no bounce mailbox named 'nope'"):
        _run("--mailbox", "nope")
    with pytest.raises(CommandError, match="scan failed for main"):
        _run("--mailbox", "main")
    update_settings({"bounce.enabled": False})
    with pytest.raises(CommandError, match="bounce processing is disabled"):
        _run("--mailbox", "main")


def test_the_beat_task_enqueues_only_due_mailboxes(
    bounces_on, dovecot_server, monkeypatch
):
    users = [dovecot_server.add_user() for _ in range(4)]
    fresh, stale, never, off = configure(
        users[0].box(name="fresh", scan_interval="15m"),
        users[1].box(name="stale", scan_interval="15m"),
        users[2].box(name="never"),
        users[3].box(name="off", enabled=False),
    )
    now = timezone.now()
    for box, age in ((fresh, 5), (stale, 16)):
        MailboxScan.objects.create(
            mailbox_uuid=box["uuid"],
            status="finished",
            started_at=now - timedelta(minutes=age),
        )
    queued = []
    monkeypatch.setattr(tasks.scan_mailbox, "delay", lambda **kw: queued.append(kw))

    due = tasks.scan_due_mailboxes.apply().get()

    assert sorted(due) == sorted([stale["uuid"], never["uuid"]])
    assert sorted(q["mailbox_uuid"] for q in queued) == sorted(due)


def test_the_beat_task_skips_running_mailboxes_and_processing_off(
    bounces_on, mail_user, monkeypatch
):
    [box] = configure(mail_user.box())
    MailboxScan.objects.create(mailbox_uuid=box["uuid"])
    monkeypatch.setattr(tasks.scan_mailbox, "delay", lambda **kw: None)
    assert tasks.scan_due_mailboxes.apply().get() == []

    MailboxScan.objects.update(
        status="finished", started_at=timezone.now() - timedelta(hours=1)
    )
    assert tasks.scan_due_mailboxes.apply().get() == [box["uuid"]]
    update_settings({"bounce.enabled": False})
    assert tasks.scan_due_mailboxes.apply().get() == []


def test_the_scan_task_reports_an_overlapping_scan(bounces_on, mail_user):
    mail_user.deliver(dsn("a@example.com"))
    [box] = configure(mail_user.box())
    MailboxScan.objects.create(mailbox_uuid=box["uuid"])

    result = tasks.scan_mailbox.apply(kwargs={"mailbox_uuid": box["uuid"]}).get()

    assert result == {"error": f"mailbox {box['name']} is already being scanned"}
    assert mail_user.count() == 1


def test_the_scan_task_scans(bounces_on, mail_user, make_subscriber):
    make_subscriber("dead@example.com")
    mail_user.deliver(dsn("dead@example.com"))
    [box] = configure(mail_user.box("imap"))

    result = tasks.scan_mailbox.apply(kwargs={"mailbox_uuid": box["uuid"]}).get()

    assert result["recorded"]["hard"] == 1
    assert mail_user.count() == 0
