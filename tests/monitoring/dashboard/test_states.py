"""The dashboard's source cards: mailbox scans, provider events, queue, heartbeats."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from bounces.mailboxes import scanning
from bounces.models import MailboxScan
from campaigns.models import Campaign, Delivery
from monitoring.dashboard.flow import mail_flow
from monitoring.dashboard.period import preset_period
from monitoring.dashboard.states import configured_sources, latest_rows, source_states
from stmails.config import update_settings
from stmails.models import Heartbeat, OutgoingMail
from tests.bounces.mailboxes.conftest import dovecot_server, mail_user  # noqa: F401
from tests.bounces.mailboxes.helpers import configure
from tests.bounces.mailboxes.messages import DSN_DATE, dsn
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def bounces_on():
    update_settings({"bounce.enabled": True, "bounce.webhooks_enabled": True})


def states(kind=None, now=None):
    found = source_states(configured_sources(), now=now)
    return {s.name: s for s in found if kind is None or s.kind == kind}


def mailbox(name, **extra):
    return {"name": name, "type": "imap", "host": "mail.example.test",
            "username": name, **extra}  # fmt: skip


def scan(box_uuid, name, status, ago, **kw):
    when = timezone.now() - ago
    return MailboxScan.objects.create(
        mailbox_uuid=box_uuid, mailbox_name=name, status=status, started_at=when,
        heartbeat_at=when, finished_at=None if status == "running" else when, **kw,
    )  # fmt: skip


def event(provider, key, ago, status="processed"):
    return WebhookEvent.objects.create(
        provider=provider, event_key=key, status=status, type="hard",
        received_at=timezone.now() - ago,
    )  # fmt: skip


def test_a_real_failed_scan_and_a_real_good_one(bounces_on, mail_user, make_subscriber):  # noqa: F811
    sub = make_subscriber("dead@example.com")
    mail_user.deliver(dsn(sub.email, n=1))
    good = mail_user.box("pop", name="Good box")
    bad = mail_user.box("imap", name="Bad box", password="wrong")
    boxes = configure(good, bad)
    for box in boxes:
        scanning.scan_mailbox(box)

    cards = states("mailbox")

    # Dovecot delays a failed login: the ages are a few seconds, whatever they are.
    assert cards["Bad box"].level == "bad"
    assert re.fullmatch(
        r"last scan \d+ s ago failed: \[AUTHENTICATIONFAILED\] Authentication failed\.",
        cards["Bad box"].text,
    )
    assert cards["Good box"].level == "ok"
    assert re.fullmatch(
        r"last scan \d+ s ago: ok, 1 messages, 1 bounces", cards["Good box"].text
    )
    # The scanned bounce lands on its mailbox's row of the flow.
    period = preset_period("24h", now=DSN_DATE + timedelta(hours=1))
    flow = mail_flow(period, mailboxes=["Good box", "Bad box"])
    rows = {s.key: s for s in flow.sources if s.kind == "mailbox"}
    assert rows["Good box"].counts["hard"] == 1
    assert rows["Bad box"].total == 0


def test_mailbox_cards_follow_the_last_scan(bounces_on):
    update_settings(
        {
            "bounce.mailboxes": [
                mailbox("fresh"), mailbox("never"), mailbox("overdue"),
                mailbox("stuck"), mailbox("killed"), mailbox("off", enabled=False),
                mailbox("running"),
            ]
        }
    )  # fmt: skip
    ids = {b["name"]: uuid.UUID(b["uuid"]) for b in configured_sources().mailboxes}
    scan(ids["fresh"], "fresh", "failed", timedelta(hours=1), error="timeout")
    scan(ids["fresh"], "fresh", "finished", timedelta(minutes=3),
         counts={"seen": 12, "recorded": {"hard": 2, "soft": 1}})  # fmt: skip
    scan(ids["fresh"], "fresh", "failed", timedelta(minutes=1), dry_run=True)
    scan(ids["overdue"], "overdue", "finished", timedelta(hours=3))
    scan(ids["stuck"], "stuck", "running", timedelta(minutes=30))
    scan(ids["killed"], "killed", "abandoned", timedelta(minutes=20))
    scan(ids["running"], "running", "running", timedelta(seconds=10), done=3, total=9)

    cards = states("mailbox")

    assert (cards["fresh"].level, cards["fresh"].text) == (
        "ok", "last scan 3 min ago: ok, 12 messages, 3 bounces",
    )  # fmt: skip
    assert (cards["never"].level, cards["never"].text) == ("warn", "never scanned")
    assert cards["overdue"].level == "warn"
    assert cards["overdue"].text.endswith("(overdue: every 15m)")
    assert cards["stuck"].level == "warn"
    assert "no progress for 30 min" in cards["stuck"].text
    assert cards["killed"].text == "last scan 20 min ago stopped without finishing"
    assert cards["off"].level == "off"
    assert (cards["running"].level, cards["running"].text) == (
        "ok", "scanning now: 3 of 9 messages",
    )  # fmt: skip


def test_provider_cards_name_silent_and_failing_providers():
    update_settings(
        {
            "bounce.ses_enabled": True,
            "bounce.postmark": {"enabled": True},
            "bounce.mailgun": {"enabled": True},
            "bounce.sendgrid_enabled": True,
            "bounce.custom_providers": [
                {"slug": "acme", "name": "Acme", "secret": "s3cret", "enabled": True}
            ],
        }
    )
    event("ses", "old", timedelta(hours=40))
    event("ses", "last", timedelta(hours=30))
    event("postmark", "p1", timedelta(minutes=5))
    event("sendgrid", "s1", timedelta(minutes=5))
    event("sendgrid", "s2", timedelta(minutes=4), status="failed")
    event("custom:acme", "c1", timedelta(minutes=30), status="received")
    event("brevo", "b1", timedelta(days=2), status="failed")  # disabled provider

    cards = states("provider")

    assert (cards["Amazon SES (SNS)"].level, cards["Amazon SES (SNS)"].text) == (
        "warn", "no event for 30 h",
    )  # fmt: skip
    assert cards["Postmark"].level == "ok"
    assert cards["Postmark"].text == "last event 5 min ago"
    assert cards["Mailgun"].text == "no event yet"
    assert cards["SendGrid"].level == "bad"
    assert "1 events failed" in cards["SendGrid"].text
    acme = cards["Acme (custom)"]
    assert acme.level == "bad"
    assert "1 events waiting for the worker, oldest 30 min" in acme.text
    brevo = next(s for n, s in cards.items() if n.startswith("Brevo"))
    assert brevo.level == "bad" and brevo.text.startswith("disabled;")
    # Enabled providers without trouble are not joined by every disabled one.
    assert not any(n.startswith("Resend") for n in cards)


def test_heartbeat_cards_say_how_long_ago():
    now = timezone.now()
    Heartbeat.objects.create(name="worker", seen_at=now - timedelta(seconds=20))
    Heartbeat.objects.create(name="beat", seen_at=now - timedelta(minutes=12))

    cards = {s.kind: s for s in source_states(configured_sources(), now=now)}

    assert (cards["worker"].name, cards["worker"].level) == ("Celery worker", "ok")
    assert cards["worker"].text == "seen 20 s ago"
    assert (cards["beat"].level, cards["beat"].text) == (
        "bad", "no heartbeat for 12 min",
    )  # fmt: skip
    Heartbeat.objects.all().delete()
    assert states(now=now)["Celery worker"].text == "never seen (no heartbeat yet)"


def test_the_queue_card_counts_waiting_mail_and_says_when_it_is_stuck():
    now = timezone.now()
    OutgoingMail.objects.create(
        to_email="a@example.com", from_email="b@example.com", subject="S", text="T",
        message_id="<m1@x>", created_at=now - timedelta(hours=1),
    )  # fmt: skip
    running = Campaign.objects.create(name="Running", status="running")
    done = Campaign.objects.create(name="Done", status="finished")
    for i, campaign in enumerate((running, running, done)):
        Delivery.objects.create(campaign=campaign, subscriber_id=i, email=f"{i}@x.org")

    queue = states("queue", now=now)["Queue"]

    assert queue.level == "bad"
    assert queue.text.startswith(
        "1 system mails waiting, oldest 60 min; 2 campaign messages to send; stuck: "
    )


def test_bounce_processing_off_is_a_red_card():
    update_settings({"bounce.enabled": False})
    card = states("bounces")["Bounce processing"]
    assert (card.level, card.text) == (
        "bad", "off in Settings → Bounces: nothing is recorded",
    )  # fmt: skip


def test_latest_rows_is_one_query_whatever_the_keys(django_assert_num_queries):
    for provider in ("ses", "postmark", "mailgun"):
        for n in range(3):
            event(provider, f"{provider}{n}", timedelta(hours=n))

    with django_assert_num_queries(1):
        last = latest_rows(
            WebhookEvent, "provider", ["ses", "postmark", "mailgun", "none"],
            ("-received_at", "-id"),
        )  # fmt: skip

    assert {k: e.event_key for k, e in last.items()} == {
        "ses": "ses0", "postmark": "postmark0", "mailgun": "mailgun0",
    }  # fmt: skip
