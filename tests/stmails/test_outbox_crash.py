"""A worker killed mid-send: the mail is neither lost nor sent twice.

A real `celery worker` process (Redis db 9, PostgreSQL) sends to a real SMTP
server on loopback that holds the conversation at a chosen point; the test
kills the worker there with SIGKILL, runs the recovery and counts the messages
the server received.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from kombu import pools

from stmails import outbox
from stmails.celery import app
from stmails.models import Heartbeat, OutgoingMail
from tests.conftest import require_service
from tests.stmails.outbox_helpers import Sink, smtp_server, start_sink, use_servers

pytestmark = [
    pytest.mark.redis,
    pytest.mark.smtp,
    pytest.mark.django_db(transaction=True),
]

BROKER = "redis://127.0.0.1:6379/9"
ROOT = Path(__file__).resolve().parents[2]


def _require_postgresql() -> None:
    # The worker is another process: it needs a database server.
    if connection.vendor == "postgresql":
        return
    message = "needs PostgreSQL (set DATABASE_URL=postgresql://...)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _test_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgresql://{auth}@{host}:{port}/{db['NAME']}"


def _drop_broker_pools() -> None:
    # Pools made earlier would still point at the other broker; kombu keeps a
    # global pool per URL, which a closed pool must not stay in.
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker(settings):
    """Tasks from this process go to Redis, as in production."""
    require_service("redis", "127.0.0.1", 6379)
    _require_postgresql()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = BROKER
    _drop_broker_pools()
    app.control.purge()
    yield
    _drop_broker_pools()
    app.conf.task_always_eager, app.conf.broker_url = saved


@pytest.fixture
def workers(broker, tmp_path):
    """start() runs one more `celery worker` process; all are stopped at the end."""
    procs: list[subprocess.Popen] = []
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "STMAILS_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "stmails.settings",
    }

    def start() -> subprocess.Popen:
        with (tmp_path / f"worker{len(procs)}.log").open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "stmails", "worker",
                 "--pool=solo", "-l", "info", "--without-heartbeat",
                 "--without-gossip", "--without-mingle"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


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
