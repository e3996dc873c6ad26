"""The configured rate is the rate: concurrency × message_rate messages/s in
total, shared by every sending process through one row (campaigns.sending.pace).
Clocks and sleeps are injected: nothing here depends on time passing."""

from __future__ import annotations

import pytest

from campaigns.models import SendPace
from campaigns.sending import pace, sender
from stmails.config import update_settings
from tests.campaigns import sending_helpers
from tests.campaigns.sending_helpers import make_campaign, recipients, start, subscribe

sink = sending_helpers.sink  # the fixture

pytestmark = pytest.mark.django_db


class FakeTime:
    """One clock for several "processes"; sleeping moves it."""

    def __init__(self, now: float = 1_000_000.0):
        self.now = now
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_ceiling_is_concurrency_times_the_message_rate(db):
    assert pace.ceiling() == 100.0  # listmonk's defaults: 10 × 10
    update_settings({"app.concurrency": 3, "app.message_rate": 7})
    assert pace.ceiling() == 21.0


def test_each_reservation_gets_its_own_moment_an_interval_apart(db):
    taken = [pace.reserve(500.0, 0.5) for _ in range(4)]  # no slack
    assert taken == [500.0, 500.5, 501.0, 501.5]
    assert SendPace.objects.get().next_at == 502.0
    # After a quiet spell the next message goes at once, with no burst owed.
    assert pace.reserve(900.0, 0.5) == 900.0
    assert pace.reserve(900.0, 0.5) == 900.5


def test_no_second_holds_more_than_the_ceiling_when_senders_come_late(db):
    """Three "processes" that are sometimes late (a slow reply, a busy CPU):
    the schedule starts again from the late one, with no catch-up burst, so
    every window of one second holds at most the ceiling. (8/s and lags of
    3/8 s: binary fractions, so the float arithmetic is exact.)"""
    time = FakeTime()
    pacers = [pace.SharedPacer(8, time.sleep, time.clock) for _ in range(3)]
    moments = []
    for i in range(300):
        if i % 25 == 0:
            time.now += 0.375  # all three busy elsewhere: the schedule lags
        pacers[i % 3].wait()
        moments.append(time.now)

    busiest = max(
        sum(1 for m in moments if start <= m < start + 1.0) for start in moments
    )
    assert busiest == 8
    gaps = [b - a for a, b in zip(moments, moments[1:], strict=False)]
    assert min(gaps) == 0.125


def test_the_rate_holds_when_a_sender_is_always_ready(db):
    """Nobody late: moments exactly one interval apart, the ceiling on average."""
    time = FakeTime()
    first = pace.SharedPacer(100, time.sleep, time.clock)
    second = pace.SharedPacer(100, time.sleep, time.clock)
    start_at = time.now
    for _ in range(500):
        first.wait()
        second.wait()

    assert (time.now - start_at) == pytest.approx(999 / 100)


def test_two_processes_share_one_rate(db):
    """Two pacers (two worker processes) alternate: together they keep the
    rate one alone would, instead of doubling it."""
    time = FakeTime()
    first = pace.SharedPacer(4, time.sleep, time.clock)
    second = pace.SharedPacer(4, time.sleep, time.clock)
    start_at = time.now
    moments = []
    for _ in range(3):
        for pacer in (first, second):
            pacer.wait()
            moments.append(time.now - start_at)
    assert moments == pytest.approx([0, 0.25, 0.5, 0.75, 1.0, 1.25])


@pytest.fixture
def campaign_of(make_list, make_subscriber, django_capture_on_commit_callbacks):
    def make(count: int):
        news = make_list()
        for i in range(count):
            subscribe(make_subscriber(email=f"p{i:02}@x.org"), news)
        campaign = make_campaign(news)
        start(campaign, django_capture_on_commit_callbacks)
        return campaign

    return make


@pytest.mark.smtp
def test_a_slot_running_alone_sends_at_the_full_rate(sink, campaign_of):
    """10 slots but one process: the running slot is paced at the whole
    ceiling (2 × 5 = 10/s), not at a tenth of it."""
    update_settings({"app.concurrency": 2, "app.message_rate": 5})
    campaign = campaign_of(16)
    time = FakeTime()

    result = sender.send_campaign(
        campaign.pk, 0, 1, sleep=time.sleep, clock=time.clock, time_budget=1e9
    )

    assert result.sent == 16
    assert time.slept == pytest.approx([0.1] * 15)  # the first goes at once
    assert len(recipients(sink)) == 16
