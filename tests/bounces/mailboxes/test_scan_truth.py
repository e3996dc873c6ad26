"""The scan page tells the truth, beat's due check and stale takeover.

Times are injected (`now`) or set on rows relative to now; nothing sleeps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from bounces import tasks
from bounces.mailboxes import scanning
from bounces.mailboxes.client import open_mailbox
from bounces.models import Bounce, MailboxMessage, MailboxScan
from tests.bounces.mailboxes.helpers import configure
from tests.bounces.mailboxes.messages import dsn

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


@pytest.fixture
def queued(monkeypatch):
    calls: list[dict] = []
    monkeypatch.setattr(
        tasks.scan_mailbox, "delay_on_commit", lambda **kw: calls.append(kw)
    )
    monkeypatch.setattr(tasks.scan_mailbox, "delay", lambda **kw: calls.append(kw))
    return calls


def _running(box: dict, *, started: datetime, heartbeat: datetime) -> MailboxScan:
    return MailboxScan.objects.create(
        mailbox_uuid=box["uuid"],
        mailbox_name=box["name"],
        started_at=started,
        heartbeat_at=heartbeat,
        total=50,
        done=20,
    )


# --- "Scan now" ----------------------------------------------------------------


def test_scan_now_while_a_scan_runs_says_so_and_since_when(
    client_alice, bounces_on, mail_user, queued
):
    [box] = configure(mail_user.box("pop"))
    started = timezone.now() - timedelta(minutes=3)
    _running(box, started=started, heartbeat=timezone.now())

    response = client_alice.post(
        f"/settings/bounces/mailboxes/{box['uuid']}/scan", follow=True
    )

    page = response.content.decode()
    assert f"already running, since {_local(started)}" in page
    assert "(20 of 50 messages so far)" in page
    assert "started" not in page.lower().replace("since", "")
    assert queued == []
    assert MailboxScan.objects.count() == 1


def test_scan_now_when_idle_queues_a_scan(client_alice, bounces_on, mail_user, queued):
    [box] = configure(mail_user.box("pop"))

    response = client_alice.post(
        f"/settings/bounces/mailboxes/{box['uuid']}/scan", follow=True
    )

    assert f"Scan of {box['name']} queued" in response.content.decode()
    assert queued == [{"mailbox_uuid": box["uuid"]}]


def test_a_stale_scan_shows_as_stale_and_scan_now_takes_it_over(
    client_alice, bounces_on, mail_user, queued
):
    [box] = configure(mail_user.box("pop"))
    beat = timezone.now() - MailboxScan.STALE_AFTER - timedelta(minutes=1)
    _running(box, started=beat - timedelta(minutes=5), heartbeat=beat)

    page = client_alice.get("/settings/bounces/mailboxes").content.decode()
    assert '<span class="badge stale" data-field="status">stale</span>' in page
    assert f"No progress since {_local(beat)}" in page
    assert 'data-running="0"' in page and "progressbar" not in page
    status = client_alice.get(f"/settings/bounces/mailboxes/{box['uuid']}/status")
    assert (status.json()["status"], status.json()["stale"]) == ("running", True)

    response = client_alice.post(
        f"/settings/bounces/mailboxes/{box['uuid']}/scan", follow=True
    )

    assert f"is stale (no progress since {_local(beat)})" in response.content.decode()
    assert queued == [{"mailbox_uuid": box["uuid"]}]


def test_a_live_running_scan_is_not_stale(client_alice, mail_user):
    [box] = configure(mail_user.box("pop"))
    scan = _running(box, started=timezone.now(), heartbeat=timezone.now())
    status = client_alice.get(f"/settings/bounces/mailboxes/{box['uuid']}/status")
    assert status.json()["stale"] is False
    assert not scan.is_stale()
    assert scan.is_stale(
        now=scan.heartbeat_at + MailboxScan.STALE_AFTER + timedelta(seconds=1)
    )


# --- beat's due check ------------------------------------------------------------


def _beat_scans(box: dict, minutes: int, start_delay: timedelta) -> list[datetime]:
    """Run beat's due check every 60 s for `minutes`; each due scan starts
    `start_delay` after the tick (the worker's pick-up time) and finishes."""
    started = []
    for tick in range(minutes + 1):
        now = T0 + timedelta(minutes=tick)
        if box["uuid"] in scanning.due_mailboxes(now=now):
            at = now + start_delay
            MailboxScan.objects.create(
                mailbox_uuid=box["uuid"],
                status="finished",
                started_at=at,
                heartbeat_at=at,
                finished_at=at,
            )
            started.append(at)
    return started


@pytest.mark.parametrize("delay_seconds", [0, 1, 5, 29])
def test_a_2m_mailbox_is_scanned_every_2_minutes_not_3(
    bounces_on, mail_user, delay_seconds
):
    [box] = configure(mail_user.box("pop", scan_interval="2m"))

    started = _beat_scans(box, 12, timedelta(seconds=delay_seconds))

    gaps = {b - a for a, b in zip(started, started[1:], strict=False)}
    assert gaps == {timedelta(minutes=2)}
    assert len(started) == 7  # minutes 0, 2, 4, ... 12


def test_a_1m_mailbox_is_scanned_every_minute(bounces_on, mail_user):
    [box] = configure(mail_user.box("pop", scan_interval="1m"))
    assert len(_beat_scans(box, 10, timedelta(seconds=3))) == 11


def test_beat_takes_over_a_stale_running_scan_but_not_a_live_one(bounces_on, mail_user):
    [box] = configure(mail_user.box("pop", scan_interval="15m"))
    scan = _running(box, started=T0, heartbeat=T0 + timedelta(minutes=1))

    fresh = T0 + timedelta(minutes=1) + MailboxScan.STALE_AFTER
    assert scanning.due_mailboxes(now=fresh) == []
    assert scanning.due_mailboxes(now=fresh + timedelta(seconds=1)) == [box["uuid"]]
    scan.heartbeat_at = timezone.now()
    scan.save()
    assert scanning.due_mailboxes() == []


# --- a safe takeover -----------------------------------------------------------


def test_a_taken_over_scan_commits_and_disposes_of_nothing(
    bounces_on, mail_user, make_subscriber
):
    """Scan A stalls after reading the messages; its heartbeat goes stale; scan B
    takes over and handles every message; when A wakes up it must stop before
    its commit (else the same messages would be handled twice)."""
    subs = [make_subscriber(f"gone{i}@example.com") for i in range(3)]
    for i, sub in enumerate(subs):
        mail_user.deliver(dsn(sub.email, n=i))
    [box] = configure(mail_user.box("imap"))
    taken_over = []

    def stalled_connect(b: dict):
        client = open_mailbox(b)
        real_fetch = client.fetch

        def fetch(keys):
            yield from real_fetch(keys)
            # A has read and parsed every message, then is "stuck" before its
            # commit: its heartbeat goes stale and B runs to the end.
            MailboxScan.objects.filter(status="running").update(
                heartbeat_at=timezone.now() - MailboxScan.STALE_AFTER - timedelta(1)
            )
            taken_over.append(scanning.scan_mailbox(box))

        client.fetch = fetch
        return client

    with pytest.raises(scanning.ScanTakenOver, match="taken over"):
        scanning.scan_mailbox(box, connect=stalled_connect)

    [b_result] = taken_over
    assert b_result.recorded["hard"] == 3 and b_result.deleted == 3
    assert Bounce.objects.count() == 3
    assert sorted(Bounce.objects.values_list("subscriber_id", flat=True)) == sorted(
        s.id for s in subs
    )
    assert MailboxMessage.objects.count() == 3
    a, b = MailboxScan.objects.order_by("id")
    assert a.status == "abandoned" and "taken over" in a.error
    assert b.status == "finished"
    assert mail_user.count() == 0


# --- the scans queue -------------------------------------------------------------


def test_scans_run_on_their_own_queue_with_time_limits():
    from pathlib import Path

    import yaml

    from stmails.celery import SCAN_QUEUE, app

    router = app.amqp.router
    assert router.route({}, "bounces.tasks.scan_mailbox")["queue"].name == SCAN_QUEUE
    for other in ("stmails.tasks.send_due_mail", "bounces.tasks.scan_due_mailboxes"):
        assert router.route({}, other)["queue"].name == "celery"
    assert 0 < tasks.scan_mailbox.soft_time_limit < tasks.scan_mailbox.time_limit
    # Both launchers run a worker for each queue.
    root = Path(__file__).resolve().parents[3]
    run = (root / "bin" / "run").read_text()
    assert "--queues celery" in run and f"--queues {SCAN_QUEUE}" in run
    services = yaml.safe_load((root / "docker-compose.yml").read_text())["services"]
    queues = {
        name: next(a for a in svc["command"] if a.startswith("--queues="))
        for name, svc in services.items()
        if isinstance(svc.get("command"), list) and "worker" in svc["command"]
    }
    assert queues["worker"] == "--queues=celery"
    assert queues["scan-worker"] == "--queues=scans"


def test_the_scan_task_reports_its_soft_time_limit(bounces_on, mail_user, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    [box] = configure(mail_user.box("pop"))

    def out_of_time(*args, **kwargs):
        raise SoftTimeLimitExceeded()  # as Celery raises it, mid-scan

    monkeypatch.setattr(scanning._Scanner, "progress", out_of_time)
    result = tasks.scan_mailbox.apply(kwargs={"mailbox_uuid": box["uuid"]}).get()

    assert result == {
        "error": f"the scan ran out of time ({tasks.SCAN_SOFT_TIME_LIMIT} s)"
    }
    scan = MailboxScan.objects.get()
    assert scan.status == "failed" and "SoftTimeLimitExceeded" in scan.error
