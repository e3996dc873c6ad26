"""A worker killed mid-send: the mail is neither lost nor sent twice.

A real `celery worker` process (Redis db 9, PostgreSQL) sends to a real SMTP
server on loopback that holds the conversation at a chosen point; the test
kills the worker there with SIGKILL, runs the recovery and counts the messages
the server received.
"""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import timedelta

import pytest
from django.db import transaction

from stmails import outbox
from stmails.celery import app
from stmails.models import Heartbeat, OutgoingMail
from tests.celery_worker import real_broker, start_worker, stop_worker
from tests.stmails.outbox_helpers import Sink, smtp_server, start_sink, use_servers

pytestmark = [
    pytest.mark.redis,
    pytest.mark.smtp,
    pytest.mark.django_db(transaction=True),
]

BROKER = "redis://127.0.0.1:6379/9"


@pytest.fixture
def workers(settings, tmp_path):
    """start() runs one more `celery worker` process; all are stopped at the end."""
    procs: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        log_path = tmp_path / f"worker{len(procs)}.log"
        procs.append(start_worker(BROKER, tmp_path / "var", log_path))
        return procs[-1]

    with real_broker(settings, BROKER):
        yield start
        for proc in procs:
            stop_worker(proc)


@pytest.fixture
def sink():
    sink = Sink()
    controller = start_sink(sink)
    use_servers(smtp_server(controller.port))
    yield sink
    sink.release.set()
    controller.stop()


def _queue() -> OutgoingMail:
    with transaction.atomic():
        return outbox.queue_mail(to="ann@example.com", subject="S", text="T")


def _kill_while_held(proc: subprocess.Popen, sink: Sink) -> None:
    assert sink.holding.wait(60), "the worker never reached the SMTP server"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    sink.release.set()


def _recover(mail: OutgoingMail) -> outbox.DueResult:
    mail.refresh_from_db()
    later = mail.claimed_at + outbox.SENDING_TIMEOUT + timedelta(seconds=1)
    return outbox.send_due_mail(now=later)


def _wait_for_status(mail: OutgoingMail, status: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        mail.refresh_from_db()
        if mail.status == status:
            return
        time.sleep(0.2)
    raise AssertionError(f"mail {mail.pk} stayed {mail.status}")


def test_it_sends_once_when_the_worker_died_before_data(workers, sink):
    sink.hold_rcpt = True
    first = workers()
    mail = _queue()
    _kill_while_held(first, sink)
    mail.refresh_from_db()
    assert (mail.status, mail.phase) == ("sending", "connecting")

    assert _recover(mail).recovered == 1
    workers()  # the worker comes back
    _wait_for_status(mail, "sent")
    assert mail.attempts == 2
    assert len(sink.messages) == 1  # not lost


def test_it_never_sends_twice_when_the_worker_died_after_data(workers, sink):
    sink.hold_data = True  # the server has the message, the worker no answer yet
    first = workers()
    mail = _queue()
    _kill_while_held(first, sink)
    mail.refresh_from_db()
    assert (mail.status, mail.phase) == ("sending", "data")

    assert _recover(mail).unconfirmed == 1
    mail.refresh_from_db()
    assert mail.status == "sent_unconfirmed"
    # A second worker that gets the task again (redelivery) skips the row.
    Heartbeat.objects.filter(name="beat").delete()
    workers()
    app.send_task("stmails.tasks.send_mail", kwargs={"mail_id": mail.pk})
    app.send_task("stmails.tasks.record_beat_heartbeat")
    _wait_for_beat()
    assert len(sink.messages) == 1  # no duplicate
    mail.refresh_from_db()
    assert mail.status == "sent_unconfirmed"


def _wait_for_beat() -> None:
    # The solo worker runs tasks in order: once the heartbeat task after the
    # send task has run, the send task has too.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if Heartbeat.objects.filter(name="beat").exists():
            return
        time.sleep(0.2)
    raise AssertionError("the second worker did not run its tasks")
