"""What the table-backed queues share: enqueue without failing the caller."""

from __future__ import annotations

import logging

from kombu.exceptions import OperationalError

from stmails import durable_queue


class BrokerDownTask:
    name = "stmails.tasks.send_mail"

    def __init__(self, down_for: set[int]):
        self.down_for = down_for
        self.sent: list[dict] = []

    def delay(self, **kwargs):
        if kwargs["mail_id"] in self.down_for:
            raise OperationalError("connection refused")
        self.sent.append(kwargs)


def test_a_broker_error_is_logged_and_the_other_ids_still_go(caplog):
    task = BrokerDownTask(down_for={2})
    with caplog.at_level(logging.WARNING, logger="stmails.durable_queue"):
        durable_queue.enqueue(task, "mail_id", [1, 2, 3])
    assert task.sent == [{"mail_id": 1}, {"mail_id": 3}]
    assert "cannot enqueue stmails.tasks.send_mail(mail_id=2): connection refused" in (
        caplog.text
    )
