"""A worker killed mid-campaign and restarted: every message sent exactly once.

A real `celery worker` process (Redis db 12, PostgreSQL) sends a campaign to a
real SMTP server on loopback that holds the conversation at the Nth message,
in RCPT TO (before DATA) or after taking the message in DATA (before its 250);
the test kills the worker there with SIGKILL, runs the beat's recovery as if
the timeout had passed, starts a new worker and counts what the server got.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Delivery, SendGroup
from campaigns.sending import engine
from stmails.config import update_settings
from subscribers.models import MailingList, Subscriber
from tests.campaigns.sending_helpers import make_campaign, subscribe
from tests.celery_worker import real_broker, start_worker, stop_worker
from tests.stmails.outbox_helpers import Sink, smtp_server, start_sink, use_servers

pytestmark = [
    pytest.mark.redis,
    pytest.mark.smtp,
    pytest.mark.django_db(transaction=True),
]

BROKER = "redis://127.0.0.1:6379/12"
SUBSCRIBERS = 30
HOLD_AT = 10


class HoldingSink(Sink):
    """Holds (once) at the HOLD_AT-th RCPT TO or after the HOLD_AT-th DATA."""

    def __init__(self, stage: str):
        super().__init__()
        self.stage = stage
        self.rcpts = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd hook)
        self.rcpts += 1
        if self.stage == "rcpt" and self.rcpts == HOLD_AT:
            await self._hold()
        return await super().handle_RCPT(
            server, session, envelope, address, rcpt_options
        )

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        reply = await super().handle_DATA(server, session, envelope)
        if self.stage == "data" and len(self.messages) == HOLD_AT:
            await self._hold()
        return reply


@pytest.fixture
def workers(settings, tmp_path):
    procs: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        log_path = tmp_path / f"worker{len(procs)}.log"
        procs.append(start_worker(BROKER, tmp_path / "var", log_path))
        return procs[-1]

    with real_broker(settings, BROKER):
        yield start
        for proc in procs:
            stop_worker(proc)


def _wait_for_finish(campaign: Campaign) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        campaign.refresh_from_db()
        if campaign.status == "finished":
            return
        time.sleep(0.2)
    raise AssertionError(f"campaign stayed {campaign.status}")


def _killed_while_held(workers, sink: HoldingSink, settings: dict) -> Campaign:
    """A campaign of SUBSCRIBERS started on a real worker, which is killed
    (SIGKILL) while the sink holds the conversation; the sink is released."""
    update_settings(settings)
    news = MailingList.objects.create(name="News")
    for i in range(SUBSCRIBERS):
        subscribe(Subscriber.objects.create(email=f"s{i:02d}@x.org"), news)
    campaign = make_campaign(news)
    first = workers()
    with transaction.atomic():
        engine.start_campaign(campaign.pk)

    assert sink.holding.wait(60), "the worker never reached the SMTP server"
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    sink.release.set()
    return campaign


@pytest.mark.parametrize(
    ("stage", "received_before_restart", "outcome"),
    [("rcpt", HOLD_AT - 1, "requeued"), ("data", HOLD_AT, "unconfirmed")],
)
def test_it_sends_every_remaining_message_exactly_once_after_a_kill(
    workers, stage, received_before_restart, outcome
):
    sink = HoldingSink(stage)
    controller = start_sink(sink)
    try:
        use_servers(smtp_server(controller.port))
        campaign = _killed_while_held(workers, sink, {"app.concurrency": 2})
        assert len(sink.messages) == received_before_restart
        assert Delivery.objects.filter(status="sending").count() == 1

        later = timezone.now() + engine.STALLED_AFTER + timedelta(minutes=1)
        recovered = engine.recover_stalled(now=later)  # enqueues the campaign again

        assert recovered[outcome] == 1 and recovered["restarted"] == 1
        workers()
        _wait_for_finish(campaign)
    finally:
        sink.release.set()
        controller.stop()

    got = Counter(rcpt for env in sink.envelopes for rcpt in env.rcpt_tos)
    assert sorted(got) == [f"s{i:02d}@x.org" for i in range(SUBSCRIBERS)]
    assert set(got.values()) == {1}  # nobody twice, nobody missed
    assert campaign.sent == SUBSCRIBERS
    assert Delivery.objects.filter(status="sent").count() == SUBSCRIBERS


def test_a_kill_mid_group_leaves_only_that_group_in_doubt_and_nothing_twice(workers):
    """Above 200 messages/s rows are claimed in groups (ledger.claim_group):
    killed after the server took the HOLD_AT-th message, the group left
    behind is settled: its rows stay sent with the note (never sent twice),
    and the other rows go out once after the restart."""
    sink = HoldingSink("data")
    controller = start_sink(sink)
    try:
        use_servers(smtp_server(controller.port))
        # 2 × 400 = 800 messages/s: groups of 8 (pace.group_size).
        settings = {"app.concurrency": 2, "app.message_rate": 400}
        campaign = _killed_while_held(workers, sink, settings)
        # The group the worker was sending is still written down; its rows
        # say "sent" since their claim, each with its Message-ID.
        (group,) = SendGroup.objects.all()
        in_doubt = Delivery.objects.filter(pk__in=group.deliveries, status="sent")
        # Claimed as a group (more than one row), at most a group (a solo worker).
        assert 2 <= in_doubt.count() <= 8
        assert in_doubt.exclude(message_id="").count() == in_doubt.count()
        assert not Delivery.objects.filter(status="sending").exists()
        doubtful = set(in_doubt.values_list("email", flat=True))

        later = timezone.now() + engine.STALLED_AFTER + timedelta(minutes=1)
        recovered = engine.recover_stalled(now=later)

        assert recovered["unconfirmed"] == len(doubtful) and recovered["requeued"] == 0
        assert not SendGroup.objects.exists()
        workers()
        _wait_for_finish(campaign)
    finally:
        sink.release.set()
        controller.stop()

    got = Counter(rcpt for env in sink.envelopes for rcpt in env.rcpt_tos)
    assert set(got.values()) == {1}  # nobody twice
    everyone = {f"s{i:02d}@x.org" for i in range(SUBSCRIBERS)}
    assert set(got) | doubtful == everyone  # nobody missed but the doubtful
    unconfirmed = Delivery.objects.filter(last_error=engine.UNCONFIRMED_NOTE)
    assert set(unconfirmed.values_list("email", flat=True)) == doubtful
    assert Delivery.objects.filter(status="sent").count() == SUBSCRIBERS
