"""What identifies a mailbox bounce: what it says, not its bytes.

A DSN delivered twice differs by the Received, Delivered-To and other trace
lines each delivery adds; a message fetched again after a move gets a new UID.
Neither may count twice (with soft count 2 -> unsubscribe, a duplicate would
unsubscribe a live subscriber). Pure functions, linear in the message size.
"""

from __future__ import annotations

import hashlib

from bounces.parsing.events import BounceEvent, ParsedMessage

# Header lines a delivery adds on its way: two copies of one message differ by them.
TRACE_HEADERS = frozenset(
    (
        b"received",
        b"delivered-to",
        b"x-original-to",
        b"return-path",
        b"envelope-to",
        b"x-envelope-to",
        b"x-delivered-to",
        b"x-rcpt-to",
        b"authentication-results",
        b"received-spf",
        b"x-spam-status",
        b"x-spam-score",
        b"x-spam-level",
        b"x-spam-checker-version",
    )
)


def content_hash(raw: bytes) -> str:
    """sha256 of the message without its top-level trace headers (linear time)."""
    end = raw.find(b"\n\n")
    crlf = raw.find(b"\r\n\r\n")
    if crlf != -1 and (end == -1 or crlf < end):
        end = crlf
    if end == -1:
        return hashlib.sha256(raw).hexdigest()
    digest = hashlib.sha256()
    skipping = False
    for line in raw[:end].splitlines(keepends=True):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                digest.update(line)
            continue
        name = line.split(b":", 1)[0].strip().lower()
        skipping = name in TRACE_HEADERS
        if not skipping:
            digest.update(line)
    digest.update(raw[end:])
    return digest.hexdigest()


def bounce_key(parsed: ParsedMessage, event: BounceEvent, fallback: str) -> str:
    """What identifies a mailbox bounce: the same bounce delivered twice gets one key.

    The DSN's own Message-ID with the recipient; else the original message's
    Message-ID, the recipient, the status and the Arrival-Date (or the DSN's
    Date); `fallback` (the content hash and event index) when it says none of these.
    """
    recipient = (event.email or "").strip().lower()
    if parsed.message_id:
        parts = ["id", parsed.message_id.strip(), recipient]
    elif event.message_id or parsed.arrival_date or parsed.date:
        when = parsed.arrival_date or parsed.date or ""
        parts = ["what", event.message_id or "", recipient, event.status or "", when]
    else:
        parts = ["content", fallback]
    identity = hashlib.sha256("\n".join(parts).encode("utf-8", "replace"))
    return f"mbox:{identity.hexdigest()}"
