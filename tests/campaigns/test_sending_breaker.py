"""The circuit breaker, scheduled starts and the status API's hand-off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bounces.recording import record_bounce
from bounces.services import NewBounce
from campaigns import services
from campaigns.models import Campaign
from campaigns.sending import engine, sender
from stmails.config import update_settings
from stmails.models import OutgoingMail
from tests.campaigns import sending_helpers
from tests.campaigns.sending_helpers import (
    make_campaign,
    recipients,
    start,
    subscribe,
)

sink = sending_helpers.sink  # the fixture

pytestmark = [pytest.mark.smtp, pytest.mark.django_db]


@pytest.fixture
def news(make_list, make_subscriber):
    news = make_list()
    for i in range(6):
        subscribe(make_subscriber(email=f"s{i}@x.org"), news)
    return news


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(sender, "CHUNK", 2)


def test_it_pauses_on_the_hard_bounce_rate_and_alerts_the_admins(
    sink, news, alice, small_chunks, django_capture_on_commit_callbacks
):
    update_settings(
        {
            "bounce.enabled": True,
            "campaign.breaker_min_sent": 2,
            "campaign.breaker_hard_bounce_rate": 40,
        }
    )
    sink.rcpt_replies["s0@x.org"] = "550 5.1.1 No such user"
    campaign = make_campaign(news)
    start(campaign, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=False):
        result = sender.send_campaign(campaign.pk)

    assert result.outcome == "paused: circuit breaker"
    assert (result.sent, result.failed) == (1, 1)  # one chunk of two
    campaign.refresh_from_db()
    assert campaign.status == "paused"
    assert campaign.paused_reason.startswith(
        "circuit breaker: 1 hard bounces for 2 messages (50.00%, threshold 40%"
    )
    alert = OutgoingMail.objects.get(kind="alert")
    assert alert.to_email == "alice@example.com"
    assert campaign.name in alert.subject
    assert f"/campaigns/{campaign.pk}/" in alert.text

    # Resumed while the rate is still too high: it pauses again at once...
    start(campaign, django_capture_on_commit_callbacks)
    assert sender.send_campaign(campaign.pk).outcome == "paused: circuit breaker"
    # ...until the admin raises the threshold.
    update_settings({"campaign.breaker_hard_bounce_rate": 60})
    start(campaign, django_capture_on_commit_callbacks)
    assert sender.send_campaign(campaign.pk).outcome == "done"
    assert len(recipients(sink)) == 5


def test_it_pauses_on_the_complaint_rate(
    sink, news, small_chunks, django_capture_on_commit_callbacks
):
    update_settings(
        {
            "bounce.enabled": True,
            "campaign.breaker_min_sent": 2,
            "campaign.breaker_complaint_rate": 30,
        }
    )
    campaign = make_campaign(news)
    start(campaign, django_capture_on_commit_callbacks)
    record_bounce(
        NewBounce(
            type="complaint", source="api", email="s0@x.org", campaign_id=campaign.pk
        )
    )

    result = sender.send_campaign(campaign.pk)

    # s0 (blocklisted by the complaint) is skipped; judged from 2 messages on,
    # so after the 2nd chunk: 1 complaint for 3 messages is 33%.
    assert (result.outcome, result.sent, result.skipped) == (
        "paused: circuit breaker", 3, 1,
    )  # fmt: skip
    campaign.refresh_from_db()
    assert "1 complaints for 3 messages" in campaign.paused_reason


def test_it_stays_quiet_when_turned_off(
    sink, news, small_chunks, django_capture_on_commit_callbacks
):
    update_settings(
        {
            "bounce.enabled": True,
            "campaign.breaker_enabled": False,
            "campaign.breaker_min_sent": 1,
        }
    )
    sink.rcpt_replies["s0@x.org"] = "550 5.1.1 No such user"
    campaign = make_campaign(news)
    start(campaign, django_capture_on_commit_callbacks)

    assert sender.send_campaign(campaign.pk).outcome == "done"


def test_it_starts_a_scheduled_campaign_when_it_is_due(
    sink, news, django_capture_on_commit_callbacks
):
    campaign = make_campaign(
        news, status="scheduled", send_at=timezone.now() + timedelta(hours=1)
    )
    assert engine.recover_stalled()["scheduled"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        outcome = engine.recover_stalled(now=timezone.now() + timedelta(hours=2))

    assert outcome["scheduled"] == 1
    assert len(recipients(sink)) == 6
    campaign.refresh_from_db()
    assert campaign.status == "finished"


def test_it_sends_when_the_status_api_starts_the_campaign(
    sink, news, django_capture_on_commit_callbacks
):
    campaign = make_campaign(news)

    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(campaign, Campaign.Status.RUNNING)

    assert len(recipients(sink)) == 6
    campaign.refresh_from_db()
    assert (campaign.status, campaign.to_send, campaign.sent) == ("finished", 6, 6)
