"""System mail never waits behind campaigns (issue 15, item 4).

Two real `celery worker` processes, one per lane as bin/run and docker compose
start them: the campaign lane (`campaigns`) and the default lane (`celery`,
where opt-in confirmations go), on Redis db 11 and PostgreSQL. A campaign paced
at 2 messages/s keeps its lane busy; someone subscribes to a double opt-in
list meanwhile, and the confirmation reaches the SMTP sink while the campaign
is still running: the sink's order shows campaign mail before and after it.
Timeouts only guard against a hang; nothing depends on how fast this runs.
"""

from __future__ import annotations

import subprocess
import time

import pytest
from subscribers.optin import public_subscribe

from campaigns.models import Campaign, Delivery
from campaigns.sending import engine
from stmails.celery import CAMPAIGN_QUEUE, DEFAULT_QUEUE
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

BROKER = "redis://127.0.0.1:6379/11"
SUBSCRIBERS = 20
NEWCOMER = "newcomer@example.org"
GUARD = 90  # seconds; only a hang reaches it


def _wait(what: str, done) -> None:
    deadline = time.monotonic() + GUARD
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def _ready(log_path) -> bool:
    return log_path.exists() and b" ready." in log_path.read_bytes()


@pytest.fixture
def lanes(settings, tmp_path):
    """A worker on the campaign lane and one on the default lane, both ready."""
    procs: list[subprocess.Popen] = []
    with real_broker(settings, BROKER):
        try:
            for queue in (CAMPAIGN_QUEUE, DEFAULT_QUEUE):
                log_path = tmp_path / f"{queue}.log"
                procs.append(
                    start_worker(BROKER, tmp_path / "var", log_path, queues=queue)
                )
                _wait(f"the {queue} worker", lambda p=log_path: _ready(p))
            yield
        finally:
            for proc in procs:
                stop_worker(proc)


def _campaign_recipients(sink: Sink) -> list[str]:
    return [r for env in sink.envelopes for r in env.rcpt_tos if r != NEWCOMER]


def test_an_optin_confirmation_goes_out_while_a_campaign_holds_its_lane(lanes):
    sink = Sink()
    controller = start_sink(sink)
    try:
        use_servers(smtp_server(controller.port))
        # One slot at 2 messages/s: the campaign lane stays busy for ~10 s.
        update_settings({"app.concurrency": 1, "app.message_rate": 2})
        news = MailingList.objects.create(name="News")
        for i in range(SUBSCRIBERS):
            subscribe(Subscriber.objects.create(email=f"s{i:02d}@x.org"), news)
        campaign = make_campaign(news)
        engine.start_campaign(campaign.pk)
        _wait("the first campaign message", lambda: _campaign_recipients(sink))

        weekly = MailingList.objects.create(
            name="Weekly", type=MailingList.Type.PUBLIC, optin=MailingList.Optin.DOUBLE
        )
        result = public_subscribe(email=NEWCOMER, list_uuids=[str(weekly.uuid)])
        assert result.mail is not None
        _wait(
            "the confirmation",
            lambda: NEWCOMER in (r for e in sink.envelopes for r in e.rcpt_tos),
        )

        # The campaign had not finished: it still had messages to send.
        assert Campaign.objects.get(pk=campaign.pk).status == "running"
        assert Delivery.objects.filter(campaign=campaign, status="queued").exists()
        _wait(
            "the campaign to finish",
            lambda: Campaign.objects.get(pk=campaign.pk).status == "finished",
        )
    finally:
        controller.stop()

    order = [r for env in sink.envelopes for r in env.rcpt_tos]
    at = order.index(NEWCOMER)
    assert 0 < at < len(order) - 1  # campaign mail before and after it
    assert sorted(_campaign_recipients(sink)) == [
        f"s{i:02d}@x.org" for i in range(SUBSCRIBERS)
    ]
    confirmation = sink.messages[at]
    assert "confirm" in confirmation["Subject"].lower()
