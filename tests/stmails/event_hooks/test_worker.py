"""Event webhooks through Redis and a real Celery worker process, with a retry."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import transaction
from standardwebhooks import Webhook

from stmails.event_hooks import delivery
from stmails.event_hooks import services as event_hooks
from stmails.models import EventDelivery
from tests.celery_worker import real_broker, start_worker, stop_worker
from tests.stmails.event_hooks.helpers import Receiver, make_hook

BROKER = "redis://127.0.0.1:6379/13"


@pytest.fixture
def worker(settings, tmp_path, monkeypatch):
    # The receiver listens on 127.0.0.1, which outgoing HTTP refuses by default:
    # the worker process is told, as an on-premises install would be.
    monkeypatch.setenv("STMAILS_ALLOWED_PRIVATE_HOSTS", "127.0.0.1")
    with real_broker(settings, BROKER):
        log_path = tmp_path / "worker.log"
        proc = start_worker(BROKER, tmp_path / "var", log_path)
        yield log_path
        stop_worker(proc)


def wait_for(row: EventDelivery, status: str, log_path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        row.refresh_from_db()
        if row.status == status:
            return
        time.sleep(0.2)
    raise AssertionError(f"{row.status} != {status}\n" + log_path.read_text()[-3000:])


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_after_a_failed_attempt(worker):
    receiver = Receiver(statuses=(500, 200))
    try:
        hook, secret = make_hook(receiver.url)
        with transaction.atomic():
            [row] = event_hooks.emit("subscriber.deleted", [{"reason": "admin"}])
        wait_for(row, "awaiting_retry", worker)
        assert row.last_status_code == 500
        delivery.deliver_due(now=row.next_try_at + timedelta(seconds=1))
        wait_for(row, "delivered", worker)
    finally:
        receiver.stop()
    assert row.attempts == 2
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == row.message_id
    assert Webhook(secret).verify(second.body, second.headers)["data"] == {
        "reason": "admin"
    }
