"""One test per alert rule: true -> one incident (once), false -> none, recovers.

Each test switches the other rules off (only_rule) and runs the evaluation the
beat task runs; the mailbox rule is in test_rule_mailbox.py (real Dovecot).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from bounces.models import Bounce, UnmatchedBounce
from campaigns.models import Campaign, Delivery
from monitoring.models import AlertIncident
from stmails import outbox
from stmails.config import update_settings
from stmails.models import OutgoingMail
from tests.conftest import basic_auth
from tests.stmails.outbox_helpers import Sink, smtp_server, start_sink, use_servers
from tests.webhooks.conftest import sample
from webhooks.models import WebhookEvent

from .conftest import open_incidents

pytestmark = pytest.mark.django_db


def campaign(sent: int, **kw) -> Campaign:
    kw.setdefault("status", Campaign.Status.RUNNING)
    return Campaign.objects.create(name="Spring news", sent=sent, **kw)


def bounce(c: Campaign, subscriber, type: str = "hard") -> Bounce:
    return Bounce.objects.create(
        subscriber=subscriber, campaign=c, type=type, email=subscriber.email
    )


def assert_fires_once_then_recovers(evaluate, key: str, clear) -> AlertIncident:
    """The condition is true now: one incident, kept across runs; then `clear()`
    makes it false and the incident closes once with its recovery notice."""
    assert evaluate().opened == [key]
    assert evaluate().opened == []
    (incident,) = open_incidents()
    assert incident.key == key and incident.notified_at is not None
    clear()
    assert evaluate().recovered == [key]
    assert evaluate().recovered == []
    incident.refresh_from_db()
    assert incident.closed_at is not None
    assert incident.close_reason == AlertIncident.CloseReason.RECOVERED
    assert incident.recovery_notified_at is not None
    assert AlertIncident.objects.count() == 1
    return incident


# --- campaign bounce rate ----------------------------------------------------------


def test_it_alerts_on_a_campaign_bounce_rate_over_the_threshold(
    only_rule, evaluate, make_subscriber
):
    only_rule("campaign_bounce_rate")  # defaults: over 5 %, from 100 sent
    c = campaign(sent=100)
    for _ in range(6):
        bounce(c, make_subscriber())

    def more_mail_sent():
        Campaign.objects.filter(pk=c.pk).update(sent=200)  # 3 %

    incident = assert_fires_once_then_recovers(
        evaluate, f"campaign_bounce_rate:{c.pk}", more_mail_sent
    )
    assert "6.00%" in incident.summary and "Spring news" in incident.summary
    assert incident.details["bounces"] == 6 and incident.details["sent"] == 100


def test_it_leaves_campaigns_under_the_bounce_rate_alone(
    only_rule, evaluate, make_subscriber
):
    only_rule("campaign_bounce_rate")
    at_threshold = campaign(sent=100)
    twice = make_subscriber()
    bounce(at_threshold, twice)
    bounce(at_threshold, twice)  # one address, counted once
    for _ in range(4):
        bounce(at_threshold, make_subscriber())
    for _ in range(5):
        bounce(at_threshold, make_subscriber(), type="soft")  # not counted
    too_small = campaign(sent=50)
    old = campaign(
        sent=100,
        status=Campaign.Status.FINISHED,
        finished_at=timezone.now() - timedelta(days=8),
    )
    for _ in range(20):
        bounce(too_small, make_subscriber())
        bounce(old, make_subscriber())

    assert evaluate().opened == []
    assert AlertIncident.objects.count() == 0


# --- campaign complaint rate ---------------------------------------------------------


def test_it_alerts_on_a_campaign_complaint_rate_over_the_threshold(
    only_rule, evaluate, make_subscriber
):
    only_rule("campaign_complaint_rate")  # default: over 0.3 %
    c = campaign(sent=1000, status=Campaign.Status.FINISHED, finished_at=timezone.now())
    for _ in range(4):
        bounce(c, make_subscriber(), type="complaint")

    def more_mail_sent():
        Campaign.objects.filter(pk=c.pk).update(sent=2000)  # 0.2 %

    incident = assert_fires_once_then_recovers(
        evaluate, f"campaign_complaint_rate:{c.pk}", more_mail_sent
    )
    assert incident.details["complaints"] == 4
    assert incident.details["rate_percent"] == 0.4


def test_it_leaves_campaigns_under_the_complaint_rate_alone(
    only_rule, evaluate, make_subscriber
):
    only_rule("campaign_complaint_rate")
    c = campaign(sent=1000)
    for _ in range(3):
        bounce(c, make_subscriber(), type="complaint")  # 0.3 %: not over
    for _ in range(50):
        bounce(c, make_subscriber())  # hard bounces are the other rule

    assert evaluate().opened == []


# --- webhook provider silent ---------------------------------------------------------


def webhook(name: str):
    return Client().post(
        "/webhooks/service/postmark",
        data=sample("postmark", name),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic_auth("pm", "pw"),
    )


@pytest.fixture
def postmark_silent(only_rule):
    """Postmark on, its last event 30 h ago, 3 campaign mails sent in the last hour."""
    only_rule("provider_silent", **{"alerts.min_campaign_sent": 3})
    update_settings(
        {
            "bounce.enabled": True,
            "bounce.postmark": {"enabled": True, "username": "pm", "password": "pw"},
            "bounce.mailgun": {"enabled": True},  # on, but has never sent anything
        }
    )
    assert webhook("hard_bounce_anymail").status_code == 200
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(hours=30))
    c = campaign(sent=3)
    for i in range(3):
        Delivery.objects.create(
            campaign=c,
            subscriber_id=i,
            email=f"r{i}@example.com",
            status=Delivery.Status.SENT,
            sent_at=timezone.now() - timedelta(hours=1),
        )
    return c


def test_it_alerts_on_a_provider_silent_while_campaigns_go_out(
    postmark_silent, evaluate
):
    def an_event_arrives():
        assert webhook("subscription_change_ignored_anymail").status_code == 200

    incident = assert_fires_once_then_recovers(
        evaluate, "provider_silent:postmark", an_event_arrives
    )
    assert incident.details["campaign_mails_sent"] == 3
    assert incident.details["silent_hours"] == 24


def test_it_leaves_a_silent_provider_alone_when_little_mail_went_out(
    postmark_silent, evaluate
):
    Delivery.objects.filter(email="r0@example.com").update(
        sent_at=timezone.now() - timedelta(hours=25)
    )
    assert evaluate().opened == []


def test_it_leaves_a_disabled_provider_alone(postmark_silent, evaluate):
    update_settings({"bounce.postmark": {"enabled": False}})
    assert evaluate().opened == []


# --- mail stuck in the queue --------------------------------------------------------


def queued_mail(age: timedelta) -> OutgoingMail:
    mail = outbox.queue_mail(to="ann@example.com", subject="Welcome", text="Hi")
    OutgoingMail.objects.filter(pk=mail.pk).update(
        created_at=timezone.now() - age, enqueued_at=timezone.now() - age
    )
    return mail


@pytest.mark.smtp
def test_it_alerts_on_mail_stuck_in_the_queue(only_rule, evaluate):
    only_rule("queue_stuck")  # default: 15 minutes
    mail = queued_mail(timedelta(minutes=20))
    sink = Sink()
    controller = start_sink(sink)

    def the_queue_drains():
        use_servers(smtp_server(controller.port))
        assert outbox.deliver_mail(mail.pk) == "sent"

    try:
        incident = assert_fires_once_then_recovers(
            evaluate, "queue_stuck", the_queue_drains
        )
    finally:
        controller.stop()
    assert incident.details["pending"] == 1
    assert "20 min old" in incident.summary
    assert len(sink.messages) == 1  # the stuck mail itself (no admin to alert)


def test_it_leaves_a_young_queue_alone(only_rule, evaluate):
    only_rule("queue_stuck")
    queued_mail(timedelta(minutes=5))
    assert evaluate().opened == []


# --- unmatched bounces rising -------------------------------------------------------


def unmatched(count: int, age: timedelta) -> None:
    at = timezone.now() - age
    UnmatchedBounce.objects.bulk_create(
        UnmatchedBounce(reason="not_subscriber", email=f"u{i}@x.test", created_at=at)
        for i in range(count)
    )


def test_it_alerts_on_unmatched_bounces_rising(only_rule, evaluate):
    only_rule("unmatched_rising", **{"alerts.unmatched_per_hour": 5})
    unmatched(6, timedelta(minutes=10))

    def the_hour_passes():
        UnmatchedBounce.objects.update(created_at=timezone.now() - timedelta(hours=2))

    incident = assert_fires_once_then_recovers(
        evaluate, "unmatched_rising", the_hour_passes
    )
    assert incident.details["last_hour"] == 6


def test_it_leaves_a_steady_or_small_unmatched_stream_alone(only_rule, evaluate):
    only_rule("unmatched_rising", **{"alerts.unmatched_per_hour": 5})
    unmatched(5, timedelta(minutes=10))  # not over 5
    assert evaluate().opened == []
    unmatched(1, timedelta(minutes=10))
    unmatched(48, timedelta(hours=6))  # 2 per hour before: 6 is not over 3 x 2
    assert evaluate().opened == []


def test_provider_bounces_for_unknown_addresses_count_as_unmatched(only_rule, evaluate):
    only_rule("unmatched_rising", **{"alerts.unmatched_per_hour": 5})
    at = timezone.now() - timedelta(minutes=5)
    for i in range(4):
        WebhookEvent.objects.create(
            provider="postmark",
            event_key=f"k{i}",
            type="hard",
            email=f"gone{i}@x.test",
            status=WebhookEvent.Status.IGNORED,
            error="email: bounced subscriber gone@x.test not found",
            received_at=at,
        )
    # A delivery notice the provider sent is ignored too, but is no bounce.
    WebhookEvent.objects.create(
        provider="postmark",
        event_key="delivered",
        type="ignored",
        status=WebhookEvent.Status.IGNORED,
        received_at=at,
    )
    unmatched(1, timedelta(minutes=10))
    assert evaluate().opened == []  # 4 + 1 = 5: not over 5
    unmatched(1, timedelta(minutes=10))
    assert evaluate().opened == ["unmatched_rising"]
    assert open_incidents()[0].details["last_hour"] == 6


# --- the self-test -------------------------------------------------------------------


def probe_run(status: str, age: timedelta, step: str = "", error: str = ""):
    from monitoring.models import ProbeRun

    return ProbeRun.objects.create(
        kind=ProbeRun.Kind.SELFTEST,
        status=status,
        token=f"t{ProbeRun.objects.count()}",
        started_at=timezone.now() - age,
        failed_step=step,
        error=error,
    )


def test_it_alerts_when_the_newest_selftest_failed(only_rule, evaluate):
    only_rule("selftest_failed", **{"probe.enabled": True})
    probe_run("passed", timedelta(hours=12))
    probe_run("failed", timedelta(hours=6), "headers", "X-Stmails-Subscriber missing")
    probe_run("running", timedelta(minutes=1))  # unfinished runs say nothing yet

    incident = assert_fires_once_then_recovers(
        evaluate,
        "selftest_failed",
        lambda: probe_run("passed", timedelta(minutes=30)),
    )
    assert incident.summary == (
        "Self-test failed at step 'headers': X-Stmails-Subscriber missing"
    )


def test_the_selftest_rule_is_off_while_the_probe_is(only_rule, evaluate):
    only_rule("selftest_failed")
    probe_run("failed", timedelta(hours=1), "mail arrived", "no mail")
    assert evaluate().opened == []
