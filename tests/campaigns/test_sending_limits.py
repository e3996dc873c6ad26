"""Rejections, retries, limits and the crash policy of the sending engine."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bounces.models import Bounce
from campaigns.models import Campaign, Delivery
from campaigns.sending import engine, sender
from stmails.config import SettingsError, get_value, update_settings
from tests.campaigns import sending_helpers
from tests.campaigns.sending_helpers import (
    recipients,
    statuses,
)
from tests.stmails.outbox_helpers import smtp_server, use_servers

sink = sending_helpers.sink  # the fixtures
campaign_of = sending_helpers.campaign_of

pytestmark = [pytest.mark.smtp, pytest.mark.django_db]


def test_it_records_a_hard_bounce_for_a_5xx_at_rcpt_to(sink, campaign_of):
    update_settings({"bounce.enabled": True})
    sink.rcpt_replies["gone@x.org"] = "550 5.1.1 <gone@x.org>: No such user"
    campaign = campaign_of("gone@x.org", "ok@x.org")

    result = sender.send_campaign(campaign.pk)

    assert (result.sent, result.failed) == (1, 1)
    gone = Delivery.objects.get(email="gone@x.org")
    assert (gone.status, gone.permanent, gone.smtp_code) == ("failed", True, 550)
    assert "550 5.1.1" in gone.last_error and gone.message_id == ""
    bounce = Bounce.objects.get()
    assert (bounce.type, bounce.source, bounce.email) == ("hard", "smtp", "gone@x.org")
    assert bounce.campaign_id == campaign.pk
    assert bounce.status_code == "5.1.1"
    assert bounce.event_key == f"smtp:delivery:{gone.pk}"
    assert recipients(sink) == ["ok@x.org"]
    campaign.refresh_from_db()
    assert (campaign.status, campaign.sent) == ("finished", 1)


def test_it_retries_a_temporary_error_then_gives_up(sink, campaign_of):
    use_servers(smtp_server(sink.port, max_msg_retries=1))
    sink.rcpt_replies["busy@x.org"] = "452 4.2.2 Mailbox full"
    campaign = campaign_of("busy@x.org")

    result = sender.send_campaign(campaign.pk)

    assert (result.retried, result.failed) == (1, 1)
    busy = Delivery.objects.get()
    assert (busy.status, busy.permanent, busy.attempts) == ("failed", False, 2)
    assert busy.smtp_code == 452
    assert Bounce.objects.count() == 0


def test_it_retries_a_temporary_error_and_sends_once_it_clears(sink, campaign_of):
    campaign = campaign_of("later@x.org")
    sink.rcpt_replies["later@x.org"] = "451 4.7.1 Try again later"
    original = sender.Run.record_failure

    def clear_after_first(run, *args, **kwargs):
        original(run, *args, **kwargs)
        sink.rcpt_replies.clear()

    sender.Run.record_failure = clear_after_first
    try:
        result = sender.send_campaign(campaign.pk)
    finally:
        sender.Run.record_failure = original

    assert (result.retried, result.sent) == (1, 1)
    assert Delivery.objects.get().attempts == 2
    assert recipients(sink) == ["later@x.org"]


def test_it_fails_a_message_it_cannot_build_and_sends_the_rest(
    sink, campaign_of, monkeypatch
):
    campaign = campaign_of("broken@x.org", "ok@x.org")
    compose = sender.Run.compose

    def break_one(run, delivery, sub):
        if delivery.email == "broken@x.org":
            raise ValueError("bad template")
        return compose(run, delivery, sub)

    monkeypatch.setattr(sender.Run, "compose", break_one)
    result = sender.send_campaign(campaign.pk)

    assert (result.sent, result.failed) == (1, 1)
    broken = Delivery.objects.get(email="broken@x.org")
    assert broken.status == "failed" and broken.attempts == 1
    assert "cannot build the message: bad template" in broken.last_error
    assert recipients(sink) == ["ok@x.org"]


def test_it_pauses_after_max_send_errors(sink, campaign_of):
    update_settings({"app.max_send_errors": 2})
    for i in range(3):
        sink.rcpt_replies[f"bad{i}@x.org"] = "550 5.1.1 No such user"
    campaign = campaign_of("bad0@x.org", "bad1@x.org", "bad2@x.org", "ok@x.org")
    sender.CHUNK, chunk = 2, sender.CHUNK
    try:
        result = sender.send_campaign(campaign.pk)
    finally:
        sender.CHUNK = chunk

    assert result.outcome == "paused: too many errors"
    campaign.refresh_from_db()
    assert campaign.status == "paused"
    assert "2 messages failed" in campaign.paused_reason
    assert Delivery.objects.filter(status="queued").count() == 2


def test_it_waits_when_no_server_answers(sink, campaign_of):
    use_servers(smtp_server(1, host="127.0.0.1"))  # nothing listens on port 1
    campaign = campaign_of("a@x.org")
    long_ago = timezone.now() - timedelta(hours=1)
    Campaign.objects.filter(pk=campaign.pk).update(updated_at=long_ago)

    result = sender.send_campaign(campaign.pk)

    assert result.again_in == sender.NO_SERVER_RETRY
    # The waiting task marks the campaign alive: recovery starts no second one.
    assert engine.recover_stalled()["restarted"] == 0
    assert "127.0.0.1:1" in result.outcome
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("queued", 0)


def test_it_stops_at_the_sliding_window_limit(sink, campaign_of):
    update_settings(
        {
            "app.message_sliding_window": True,
            "app.message_sliding_window_duration": "1h",
            "app.message_sliding_window_rate": 3,
        }
    )
    campaign = campaign_of(*[f"w{i}@x.org" for i in range(5)])

    result = sender.send_campaign(campaign.pk)

    assert (result.outcome, result.sent) == ("sliding window full", 3)
    assert 3000 <= result.again_in <= 3600
    assert len(sink.messages) == 3
    assert sorted(statuses(campaign).values()) == ["queued"] * 2 + ["sent"] * 3


def test_it_paces_messages_to_the_message_rate(sink, campaign_of):
    update_settings({"app.message_rate": 4, "app.concurrency": 1})
    campaign = campaign_of(*[f"r{i:02}@x.org" for i in range(5)])
    now = [1_000_000.0]  # Unix time: the shared row starts at 0
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    result = sender.send_campaign(
        campaign.pk, sleep=sleep, clock=lambda: now[0], time_budget=1e9
    )

    assert result.sent == 5
    assert slept == [1.0]  # 4 in the first second, the 5th one second later


def test_it_settles_rows_of_a_dead_worker_without_sending_twice(sink, campaign_of):
    campaign = campaign_of("data@x.org", "connect@x.org", "fresh@x.org")
    long_ago = timezone.now() - timedelta(hours=1)
    # Died after committing the Message-ID (DATA may have reached the server):
    Delivery.objects.filter(email="data@x.org").update(
        status="sending", attempts=1, sent_at=long_ago, message_id="<m1@x>"
    )
    # Died before DATA: the server never got it.
    Delivery.objects.filter(email="connect@x.org").update(
        status="sending", attempts=1, sent_at=long_ago
    )
    # A live claim (not past the timeout) is left alone.
    Delivery.objects.filter(email="fresh@x.org").update(
        status="sending", attempts=1, sent_at=timezone.now()
    )

    outcome = engine.recover_stalled()

    assert (outcome["unconfirmed"], outcome["requeued"]) == (1, 1)
    assert statuses(campaign) == {
        "data@x.org": "sent", "connect@x.org": "queued", "fresh@x.org": "sending",
    }  # fmt: skip
    assert "not sent again" in Delivery.objects.get(email="data@x.org").last_error
    assert sender.send_campaign(campaign.pk).sent == 1
    assert recipients(sink) == ["connect@x.org"]


def test_it_enqueues_a_running_campaign_that_stopped_moving(
    sink, campaign_of, django_capture_on_commit_callbacks
):
    campaign = campaign_of("a@x.org", "b@x.org")
    assert engine.recover_stalled()["restarted"] == 0  # just started

    later = timezone.now() + engine.STALLED_AFTER + timedelta(minutes=1)
    outcome = engine.recover_stalled(now=later)  # eager: the tasks run here

    assert outcome["restarted"] == 1
    assert recipients(sink) == ["a@x.org", "b@x.org"]
    campaign.refresh_from_db()
    assert campaign.status == "finished"


def test_it_registers_the_performance_settings(db):
    assert get_value("app.message_rate") == 10
    assert get_value("app.message_sliding_window_duration") == "1h"
    with pytest.raises(SettingsError) as e:
        update_settings({"app.message_sliding_window_duration": "soon"})
    assert e.value.field == "app.message_sliding_window_duration"
    with pytest.raises(SettingsError):
        update_settings({"app.concurrency": 0})
