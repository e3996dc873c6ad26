"""Helpers that read provider payloads: JSON, times, addresses, echoed headers,
SMTP status codes and event keys. Pure: no ORM, no network, no settings, like
the `parse()` methods that call them (the contract is base.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

from webhooks.providers.base import PayloadError

# Headers we add to outgoing mail and some providers echo back (listmonk's too).
CAMPAIGN_HEADERS = ("x-stmails-campaign", "x-listmonk-campaign")
SUBSCRIBER_HEADERS = ("x-stmails-subscriber", "x-listmonk-subscriber")
EVENT_KEY_MAX = 200  # the inbox prefixes "<provider>:" within Bounce.event_key's 255


def load_json(raw_body: bytes) -> Any:
    try:
        return json.loads(raw_body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise PayloadError("the body is not valid JSON") from None


def stable_key(*parts: Any) -> str:
    """An event key for providers with no event id: a hash of stable fields."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return "h:" + hashlib.sha256(text.encode()).hexdigest()[:40]


def clip_key(key: Any) -> str:
    key = str(key)
    if len(key) > EVENT_KEY_MAX:
        return stable_key(key)
    return key


def parse_time(value: Any) -> datetime | None:
    """Epoch seconds (int/float/str) or ISO 8601; None when absent or unreadable."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, int | float) or (
            isinstance(value, str) and value.replace(".", "", 1).isdigit()
        ):
            return datetime.fromtimestamp(float(value), tz=UTC)
        text = str(value).strip().replace("Z", "+00:00")
        # .NET-style 7-digit fractions (Postmark) are more than fromisoformat takes.
        if "." in text:
            head, _, rest = text.partition(".")
            digits = "".join(c for c in rest if c.isdigit())
            tail = rest[len(digits) :]
            text = f"{head}.{digits[:6]}{tail}"
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def recipient_address(value: Any) -> str:
    """The bare, lowercased address in a provider's recipient field ("" when it
    is not a string). Lenient: matching, not validation, decides what it is."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    # "Name <a@b>" forms appear in some providers' fields.
    if "<" in value and value.endswith(">"):
        value = value[value.rindex("<") + 1 : -1]
    return value.strip().lower()


def header_value(headers: Any, names: tuple[str, ...]) -> str | None:
    """Find one of `names` in echoed headers: a dict, or a list of {name, value} / pairs."""
    if isinstance(headers, dict):
        lowered = {str(k).lower(): v for k, v in headers.items()}
        for n in names:
            v = lowered.get(n)
            if isinstance(v, str) and v.strip():
                return v.strip()
        return None
    if isinstance(headers, list):
        for item in headers:
            if isinstance(item, dict):
                k, v = (
                    item.get("name") or item.get("Name"),
                    item.get("value") or item.get("Value"),
                )
            elif isinstance(item, list | tuple) and len(item) == 2:
                k, v = item
            else:
                continue
            if isinstance(k, str) and k.lower() in names and isinstance(v, str):
                return v.strip()
    return None


def as_uuid_or_none(value: Any) -> str | None:
    import uuid

    if not value:
        return None
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError:
        return None


STATUS_RE = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


def smtp_status(*texts: Any) -> str:
    """The first RFC 3463 enhanced status code (5.1.1) found in the texts, or ""."""
    for text in texts:
        if isinstance(text, str):
            m = STATUS_RE.search(text)
            if m:
                return m.group(1)
    return ""
