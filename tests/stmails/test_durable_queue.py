"""What the table-backed queues share: enqueue without failing the caller."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from celery.exceptions import NotRegistered
from kombu.exceptions import OperationalError

from stmails import durable_queue


class BrokerDown:
    """Stands in for durable_queue.send_task: the broker refuses some ids."""

    def __init__(self, down_for: set[int]):
        self.down_for = down_for
        self.sent: list[tuple[str, dict]] = []

    def __call__(self, name: str, **kwargs):
        if kwargs["mail_id"] in self.down_for:
            raise OperationalError("connection refused")
        self.sent.append((name, kwargs))


def test_a_broker_error_is_logged_and_the_other_ids_still_go(caplog, monkeypatch):
    task = BrokerDown(down_for={2})
    monkeypatch.setattr(durable_queue, "send_task", task)
    with caplog.at_level(logging.WARNING, logger="stmails.durable_queue"):
        durable_queue.enqueue("stmails.tasks.send_mail", "mail_id", [1, 2, 3])
    name = "stmails.tasks.send_mail"
    assert task.sent == [(name, {"mail_id": 1}), (name, {"mail_id": 3})]
    assert "cannot enqueue stmails.tasks.send_mail(mail_id=2): connection refused" in (
        caplog.text
    )


def test_an_unknown_task_name_raises_instead_of_reaching_the_broker():
    with pytest.raises(NotRegistered):
        durable_queue.send_task("stmails.tasks.no_such_task", mail_id=1)


def test_next_try_follows_the_backoff_until_the_attempts_are_used_up():
    now = datetime(2024, 8, 2, tzinfo=UTC)
    backoff = (60, 300)
    assert durable_queue.next_try_at(1, backoff, now) == now + timedelta(seconds=60)
    assert durable_queue.next_try_at(2, backoff, now) == now + timedelta(seconds=300)
    assert durable_queue.next_try_at(3, backoff, now) is None
    assert durable_queue.next_try_at(1, backoff, now, final=True) is None
