"""What the table-backed queues share: enqueue without failing the caller."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

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


class ManualTimer:
    """Stands in for threading.Timer: the test fires it."""

    made: list[ManualTimer] = []

    def __init__(self, wait, function):
        self.wait, self.function, self.cancelled = wait, function, False
        self.daemon = False
        ManualTimer.made.append(self)

    def start(self):
        pass

    def cancel(self):
        self.cancelled = True

    def fire(self):
        self.function()


@pytest.fixture
def grouped(monkeypatch):
    """A GroupedSender with a clock, timers and send_task the test controls."""
    clock = {"now": 1000.0}
    sent: list[list[int]] = []
    ManualTimer.made = []
    monkeypatch.setattr(durable_queue.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(durable_queue.threading, "Timer", ManualTimer)
    monkeypatch.setattr(
        durable_queue, "send_task", lambda name, ids: sent.append(list(ids))
    )
    celery = SimpleNamespace(conf=SimpleNamespace(task_always_eager=False))
    monkeypatch.setattr(durable_queue, "current_app", celery)
    sender = durable_queue.GroupedSender("t", "ids", interval=0.5, max_ids=5)
    return sender, clock, sent


def test_grouped_sender_sends_the_first_ids_after_a_quiet_spell_at_once(grouped):
    sender, clock, sent = grouped
    sender.add([1])
    assert sent == [[1]] and ManualTimer.made == []
    clock["now"] += 0.6  # quiet for longer than the interval
    sender.add([2])
    assert sent == [[1], [2]]


def test_grouped_sender_gathers_ids_within_the_interval_into_one_task(grouped):
    sender, clock, sent = grouped
    sender.add([1])
    clock["now"] += 0.1
    sender.add([2])
    sender.add([3, 4])
    assert sent == [[1]]
    (timer,) = ManualTimer.made  # one timer for the whole group
    assert timer.wait == pytest.approx(0.4) and timer.daemon
    timer.fire()
    assert sent == [[1], [2, 3, 4]]
    clock["now"] += 0.1  # within the interval of that send: a new timer
    sender.add([5])
    assert len(ManualTimer.made) == 2 and sent == [[1], [2, 3, 4]]


def test_grouped_sender_sends_at_once_when_max_ids_are_waiting(grouped):
    sender, clock, sent = grouped
    sender.add([1])
    clock["now"] += 0.1
    sender.add([2, 3, 4])
    sender.add([5, 6])  # 5 waiting: at once, and the timer is cancelled
    assert sent == [[1], [2, 3, 4, 5, 6]]
    assert ManualTimer.made[0].cancelled


def test_grouped_sender_sends_each_add_at_once_when_celery_is_eager(grouped):
    sender, clock, sent = grouped
    durable_queue.current_app.conf.task_always_eager = True
    sender.add([1])
    sender.add([2])
    assert sent == [[1], [2]] and ManualTimer.made == []
