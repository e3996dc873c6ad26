"""RFC 3464 delivery status notifications (and RFC 6533 message/global-delivery-status).

A DSN is multipart/report; report-type=delivery-status with a
message/delivery-status part: one per-message block (Reporting-MTA, ...) then one
block per recipient (Final-Recipient, Original-Recipient, Action, Status,
Diagnostic-Code, Remote-MTA). Only Action "failed" is a bounce; "delayed" is a
warning; "delivered", "relayed" and "expanded" are successes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message

from .addresses import normalize_address, plausible, token_address_re
from .mime import MAX_FIELD, field_blocks, parse_blocks

ACTIONS = ("failed", "delayed", "delivered", "relayed", "expanded")
STATUS_TYPES = ("message/delivery-status", "message/global-delivery-status")
_ADDR_RE = token_address_re(r"\s<>;:\"'(),\[\]")
_TYPE_RE = re.compile(r"\s*[\w.-]{1,64}\s*")
_STATUS_RE = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True)
class RecipientStatus:
    email: str
    action: str  # failed | delayed | delivered | relayed | expanded
    status: str | None
    diagnostic: str | None
    remote_mta: str | None
    original_recipient: str | None
    final_recipient: str | None = None
    raw_status: str | None = None


def status_parts(msg: Message) -> list[Message]:
    return [p for p in msg.walk() if p.get_content_type() in STATUS_TYPES]


def parse_dsn(msg: Message) -> list[RecipientStatus]:
    """Every per-recipient block of every delivery-status part, in order."""
    return _recipients(
        block for part in status_parts(msg) for block in field_blocks(part)
    )


def arrival_date(msg: Message) -> str | None:
    """The per-message Arrival-Date: part of what identifies a bounce (not its bytes)."""
    for part in status_parts(msg):
        for block in field_blocks(part):
            if block.get("arrival-date"):
                return block["arrival-date"].strip()[:100]
    return None


def parse_dsn_text(text: str) -> list[RecipientStatus]:
    """The same from raw text, for reports whose MIME structure is broken."""
    return _recipients(parse_blocks(text[:200_000]))


def _recipients(blocks: Iterable[dict[str, str]]) -> list[RecipientStatus]:
    found: list[RecipientStatus] = []
    seen: set[tuple[str, str]] = set()
    for block in blocks:
        final = _address(block.get("final-recipient"))
        original = _address(block.get("original-recipient"))
        # Original-Recipient is the address as we sent it (ORCPT), before
        # forwarding or aliasing rewrote it: that is the subscriber's address.
        rcpt = original or final
        if not rcpt:
            continue  # the per-message block, or a recipient we cannot read
        status = _status(block.get("status"))
        action = (block.get("action") or "").split()[0:1]
        action_name = action[0].lower().rstrip(";") if action else ""
        if action_name not in ACTIONS:
            # Some MTAs omit Action or write "failure", "error": the status
            # class says what happened, and a failure report is the default.
            action_name = "delayed" if status and status[0] == "4" else "failed"
        key = (rcpt.lower(), action_name)
        if key in seen:
            continue
        seen.add(key)
        found.append(
            RecipientStatus(
                email=rcpt,
                action=action_name,
                status=status,
                diagnostic=_after_type(block.get("diagnostic-code")),
                remote_mta=_after_type(block.get("remote-mta")),
                original_recipient=original
                if original and final and original.lower() != final.lower()
                else None,
                final_recipient=final,
                raw_status=block.get("status"),
            )
        )
    return found


def _address(value: str | None) -> str | None:
    if not value:
        return None
    value = _after_type(value) or ""
    m = _ADDR_RE.search(value)
    if not m:
        return None
    addr = normalize_address(m.group(0))
    # A mangled non-ASCII address (U+FFFD) or "a..b@" cannot be matched faithfully.
    return addr if plausible(addr) else None


def _after_type(value: str | None) -> str | None:
    """ "rfc822; a@b" -> "a@b", "smtp; 550 ..." -> "550 ..." (the type is noise here)."""
    if not value:
        return None
    value = value[:MAX_FIELD]  # a field is a short line; what is beyond is noise
    typ, sep, rest = value.partition(";")
    if sep and len(typ) < 100 and _TYPE_RE.fullmatch(typ):
        value = rest
    value = " ".join(value.split())
    return value or None


def _status(value: str | None) -> str | None:
    if not value:
        return None
    m = _STATUS_RE.search(value[:MAX_FIELD])
    return f"{m.group(1)}.{int(m.group(2))}.{int(m.group(3))}" if m else None
