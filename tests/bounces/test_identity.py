"""bounces.identity: a bounce is known by what it says, not by its bytes (pure)."""

from __future__ import annotations

from bounces.identity import bounce_key, content_hash
from bounces.parsing.message import parse_message
from tests.bounces.mailboxes.messages import dsn

TRACE = (
    b"Received: from relay.example.net (relay [192.0.2.1])\r\n"
    b"\tby mx.example.test with ESMTP id ABC; Mon, 23 Nov 2026 10:00:01 +0000\r\n"
    b"Delivered-To: other@example.test\r\n"
)


def _keys(raw: bytes) -> list[str]:
    parsed = parse_message(raw)
    return [bounce_key(parsed, e, f"x:{i}") for i, e in enumerate(parsed.events)]


def test_the_content_hash_leaves_out_trace_headers_only():
    raw = dsn("a@example.com", n=1)
    assert content_hash(TRACE + raw) == content_hash(raw)
    assert content_hash(raw.replace(b"User unknown", b"User unknowN")) != (
        content_hash(raw)
    )
    # A trace header's name inside the body is content.
    assert content_hash(raw + b"Received: x\r\n") != content_hash(raw)


def test_a_redelivered_dsn_keeps_its_key_and_another_dsn_gets_its_own():
    raw = dsn("a@example.com", n=1)
    assert _keys(TRACE + raw) == _keys(raw)
    assert _keys(dsn("a@example.com", n=2)) != _keys(raw)
    assert _keys(dsn("b@example.com", n=1)) != _keys(raw)


def test_without_a_message_id_the_arrival_date_tells_two_bounces_apart():
    raw = dsn("a@example.com", n=1).replace(
        b"Message-ID: <bounce-1@mx.example.net>\r\n", b""
    )
    later = raw.replace(b"Arrival-Date: Mon, 23 Nov", b"Arrival-Date: Tue, 24 Nov")
    assert parse_message(raw).message_id is None
    assert _keys(TRACE + raw) == _keys(raw)
    assert _keys(later) != _keys(raw)
