"""Small helpers shared by the mailbox tests."""

from __future__ import annotations

from bounces import scanning
from stmails.config import update_settings


def configure(*boxes: dict) -> list[dict]:
    """Store the mailboxes through the settings service; return them decrypted."""
    update_settings({"bounce.mailboxes": list(boxes)})
    return [scanning.find_mailbox(b["name"]) for b in boxes]
