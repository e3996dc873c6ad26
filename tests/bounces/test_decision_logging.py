"""Every bounce decision is logged with its reason: how it was matched, or why not."""

from __future__ import annotations

import logging

import pytest

from bounces import matching
from bounces.mailboxes.batches import BatchProcessor, read_message
from bounces.recording import record_bounce
from bounces.services import BounceError, NewBounce
from tests.bounces.mailboxes.messages import dsn


def _items(raw: bytes) -> list[NewBounce]:
    """The bounces a mailbox scan hands to the recording path for this message."""
    box = {"uuid": "6a3c1a52-3d4e-4f7a-9a43-2f5e1f0b8c11", "name": "b", "type": "pop"}
    message = read_message("1", raw)
    scan = BatchProcessor(box, None, {}, write=False)
    return [
        scan._new_bounce(e, message, i, None)
        for i, e in enumerate(message.parsed.events)
    ]


def test_each_matched_bounce_logs_how_it_was_matched(make_subscriber, caplog):
    make_subscriber("gone@example.com")
    with caplog.at_level(logging.INFO, logger="bounces.matching"):
        matching.match_events(_items(dsn("gone@example.com")))
    assert "bounce matched by recipient: recipient=gone@example.com" in caplog.text


def test_each_unmatched_bounce_logs_why(db, caplog):
    with caplog.at_level(logging.INFO, logger="bounces.matching"):
        matching.match_events(_items(dsn("stranger@example.com")))
    assert "bounce unmatched (not_subscriber)" in caplog.text
    assert "stranger@example.com: no subscriber has this email address" in caplog.text


def test_recorded_and_refused_api_bounces_log_the_decision(
    bounces_on, make_subscriber, caplog
):
    make_subscriber("known@example.com")
    with caplog.at_level(logging.DEBUG, logger="bounces"):
        record_bounce(NewBounce(email="known@example.com", type="soft", source="api"))
        with pytest.raises(BounceError):
            record_bounce(
                NewBounce(email="nobody@example.com", type="hard", source="api")
            )
    text = caplog.text
    assert "matched_by=recipient" in text
    assert "bounce decision: no action" in text
    assert "bounce unmatched (not_subscriber): source=api nobody@example.com" in text
