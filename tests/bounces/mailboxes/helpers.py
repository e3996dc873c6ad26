"""Small helpers shared by the mailbox tests."""

from __future__ import annotations

from bounces import matching
from bounces.mailboxes import scanning
from bounces.mailboxes.batches import event_bounce
from bounces.parsing.events import BounceEvent, ParsedMessage
from stmails.config import update_settings


def configure(*boxes: dict) -> list[dict]:
    """Store the mailboxes through the settings service; return them decrypted."""
    update_settings({"bounce.mailboxes": list(boxes)})
    return [scanning.find_mailbox(b["name"]) for b in boxes]


def match_one(event: BounceEvent, parsed: ParsedMessage) -> matching.Match:
    """The matcher's answer for one parsed event, as a scan hands it over."""
    return matching.match_events([event_bounce(event, parsed)])[0]


def as_items(pairs) -> list:
    """(event, parsed) pairs as the bounces a scan records."""
    return [event_bounce(event, parsed) for event, parsed in pairs]
