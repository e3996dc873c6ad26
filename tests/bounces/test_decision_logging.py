"""Every bounce decision is logged with its reason: how it was matched, or why not."""

from __future__ import annotations

import logging

import pytest

from bounces import matching
from bounces.parsing.message import parse_message
from bounces.services import BounceError, NewBounce, record_bounce
from tests.bounces.mailbox.messages import dsn


def test_each_matched_bounce_logs_how_it_was_matched(make_subscriber, caplog):
    make_subscriber("gone@example.com")
    parsed = parse_message(dsn("gone@example.com"))
    with caplog.at_level(logging.INFO, logger="bounces.matching"):
        matching.match_events([(e, parsed) for e in parsed.events])
    assert "bounce matched by recipient: recipient=gone@example.com" in caplog.text


def test_each_unmatched_bounce_logs_why(db, caplog):
    parsed = parse_message(dsn("stranger@example.com"))
    with caplog.at_level(logging.INFO, logger="bounces.matching"):
        matching.match_events([(e, parsed) for e in parsed.events])
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
    assert "matched_by=email" in text
    assert "bounce decision: no action" in text
    assert "bounce unmatched: no subscriber with email nobody@example.com" in text
