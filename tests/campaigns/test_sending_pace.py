"""The configured rate is the rate: concurrency × message_rate messages/s in
total, shared by every sending process through one row (campaigns.sending.pace).
Clocks and sleeps are injected: nothing here depends on time passing."""

from __future__ import annotations

import pytest

from campaigns.models import SendMoment, SendPace
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


def busiest_second(moments: list[float]) -> int:
    return max(sum(1 for m in moments if t <= m < t + 1.0) for t in moments)


def test_at_most_the_rate_go_in_any_second(db):
    taken = [pace.reserve(500.0, 4)[0] for _ in range(9)]
    assert taken == [500.0] * 4 + [501.0] * 4 + [502.0]
    assert SendPace.objects.get().next_at == 502.0
    # After a quiet spell the next ones go at once: nothing is owed.
    assert [pace.reserve(900.0, 4)[0] for _ in range(5)] == [900.0] * 4 + [901.0]


def test_a_window_counts_from_when_the_server_answered(db):
    """The server saw message 1 only at 500.25 (SMTP round trips): message
    1 + 4 waits until 501.25, so the server never gets 5 within a second."""
    taken = [pace.reserve(500.0, 4) for _ in range(4)]
    pace.finished(taken[0][1], 4, 500.25)
    pace.finished(taken[1][1], 4, 500.0)  # never earlier than its start

    assert [pace.reserve(500.0, 4)[0] for _ in range(2)] == [501.25, 501.25]


def test_a_rate_that_is_not_whole_keeps_its_window(db):
    """2.5/s: any 2 messages within 0.8 s, never 3."""
    assert pace.window(2.5) == (2, 0.8)
    taken = [pace.reserve(10.0, 2.5)[0] for _ in range(5)]
    assert taken == pytest.approx([10.0, 10.0, 10.8, 10.8, 11.6])


def test_another_rate_forgets_the_times_kept_for_the_old_one(db):
    for _ in range(4):
        pace.reserve(100.0, 4)
    assert [pace.reserve(100.0, 2)[0] for _ in range(3)] == [100.0, 100.0, 101.0]
    assert SendMoment.objects.count() == 2


def test_no_second_holds_more_than_the_ceiling_when_senders_come_late(db):
    """Three "processes" that are sometimes late (a slow reply, a busy CPU)
    and then send at once: every window of one second still holds at most the
    ceiling. (Lags of 3/8 s: binary fractions, so the arithmetic is exact.)"""
    time = FakeTime()
    pacers = [pace.SharedPacer(8, time.sleep, time.clock) for _ in range(3)]
    moments = []
    for i in range(300):
        if i % 5 == 0:
            time.now += 0.375  # all three busy elsewhere
        pacers[i % 3].wait()
        moments.append(time.now)

    assert busiest_second(moments) == 8
    assert moments == sorted(moments)  # times never go backwards


def test_below_the_ceiling_nobody_waits(db):
    """Senders slower than the rate together (2 × 40/s against 100/s): no
    sleep at all, where one message every 1/rate s would make each wait its
    turn whenever the other had just sent."""
    time = FakeTime()
    pacers = [pace.SharedPacer(100, time.sleep, time.clock) for _ in range(2)]
    for i in range(400):
        pacers[i % 2].wait()
        time.now += 0.0125  # each message takes 1/80 s of work

    assert time.slept == []


def test_the_ceiling_holds_on_average_when_senders_are_always_ready(db):
    time = FakeTime()
    pacers = [pace.SharedPacer(100, time.sleep, time.clock) for _ in range(2)]
    start_at = time.now
    moments = []
    for i in range(1000):
        pacers[i % 2].wait()
        moments.append(time.now)

    assert time.now - start_at == 9.0  # 1,000 messages: 100 in each of 10 seconds
    assert busiest_second(moments) == 100


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
    assert time.slept == [1.0]  # 10 at once, the next 6 one second later
    assert len(recipients(sink)) == 16


def test_a_group_reservation_takes_the_times_one_at_a_time_would(db):
    taken = pace.reserve_many(500.0, 4, 9)

    assert [at for at, _ in taken] == [500.0] * 4 + [501.0] * 4 + [502.0]
    assert [seq for _, seq in taken] == list(range(1, 10))
    assert [pace.reserve(500.0, 4)[0] for _ in range(4)] == [502.0] * 3 + [503.0]


def test_fast_pacers_reserve_in_groups_and_hold_the_ceiling(db):
    """At 1,000/s a pacer takes ten send times a transaction; three senders
    always ready still put at most 1,000 in any second."""
    assert pace.group_size(100) == 1 and pace.group_size(1000) == 10
    time = FakeTime()
    pacers = [pace.SharedPacer(1000, time.sleep, time.clock) for _ in range(3)]
    moments = []
    for i in range(3000):
        pacers[i % 3].wait()
        moments.append(time.now)
        pacers[i % 3].finished()
    for pacer in pacers:
        pacer.close()

    assert SendPace.objects.get().seq == 3000  # 300 reservations of 10
    assert busiest_second(moments) <= 1000
    assert time.now - 1_000_000.0 >= 2.0  # 3,000 messages need three seconds


def test_send_times_not_used_within_a_window_are_dropped(db):
    time = FakeTime()
    pacer = pace.SharedPacer(1000, time.sleep, time.clock)
    pacer.wait()
    time.now += 5.0  # the slot waited for something else
    pacer.wait()

    assert SendPace.objects.get().seq == 20  # a fresh group, not an old time
    assert time.slept == []
