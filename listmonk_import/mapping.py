"""listmonk rows -> stmails fields. Pure: no ORM, no database, no clock.

Each function takes one row as reader.py read it (a dict; columns an older
listmonk lacks are simply absent) and returns the stmails fields, or a Skip
saying why the row cannot come over.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from subscribers.validation import (
    SubscriberError,
    clean_name,
    validate_subscriber_email,
)


@dataclass(frozen=True)
class Skip:
    reason: str  # the report groups skips by reason
    detail: str = ""  # which row: an address, a name, an id


SUBSCRIBER_STATUSES = {"enabled", "disabled", "blocklisted"}
SUBSCRIPTION_STATUSES = {"unconfirmed", "confirmed", "unsubscribed"}
BOUNCE_TYPES = {"soft", "hard", "complaint"}
CONTENT_TYPES = {"richtext", "html", "markdown", "plain"}
TEMPLATE_TYPES = {"campaign", "campaign_visual", "tx"}

EXTRA_CAMPAIGN_FIELDS = (
    "messenger",
    "attribs",
    "body_source",
    "archive",
    "archive_slug",
    "archive_meta",
    "archive_template_id",
)

# Campaign statuses that come over unchanged: nothing in them can send.
SETTLED = {"draft", "finished", "cancelled"}

NOTE_UNSENT = (
    "Imported from listmonk, where it was {status}. Paused so that nothing "
    "sends because of the import: check it and start it here."
)
NOTE_PARTLY_SENT = (
    "Imported from listmonk, where it was {status} after sending {sent} of "
    "{to_send} messages. Cancelled: stmails does not know who got it, and "
    "resuming here would mail them again. Clone it to send to the others."
)
NOTE_OPTIN = (
    "Imported from listmonk, where it was a {status} opt-in campaign. stmails has "
    "no opt-in campaign type: cancelled so that it cannot go to confirmed members."
)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _object(value: Any) -> dict:
    """A JSON object as stored by listmonk (jsonb), also when a driver left it text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def _str_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def _dates(row: dict) -> dict:
    return {k: row[k] for k in ("created_at", "updated_at") if row.get(k) is not None}


def subscriber(row: dict) -> dict | Skip:
    raw = row.get("email")
    try:
        email = validate_subscriber_email(raw)
    except SubscriberError as e:
        return Skip("address refused by stmails' validation", f"{raw!r}: {e.message}")
    if row.get("uuid") is None:
        return Skip("no uuid", email)
    try:
        name = clean_name(row.get("name"), email)
    except SubscriberError as e:
        return Skip("name refused by stmails' validation", f"{email}: {e.message}")
    status = row.get("status")
    if status not in SUBSCRIBER_STATUSES:
        return Skip("unknown subscriber status", f"{email}: {status!r}")
    return {
        "uuid": row["uuid"],
        "email": email,
        "name": name,
        # listmonk's attribs are a JSON object at any depth: kept as they are.
        "attribs": _object(row.get("attribs")),
        "status": status,
        **_dates(row),
    }


def mailing_list(row: dict) -> tuple[dict, list[str]] | Skip:
    """(fields, notes): notes say what of the list could not be kept."""
    if row.get("uuid") is None:
        return Skip("no uuid", _text(row.get("name")))
    notes = []
    kind = row.get("type")
    if kind not in ("public", "private"):
        # temporary lists (listmonk's lists made by a campaign's ad-hoc query).
        notes.append(f"list type {kind!r} came over as private")
        kind = "private"
    fields = {
        "uuid": row["uuid"],
        "name": _text(row.get("name"))[:200] or "(unnamed list)",
        "type": kind,
        "optin": "double" if row.get("optin") == "double" else "single",
        "tags": _str_list(row.get("tags")),
        "description": _text(row.get("description")),
        **_dates(row),
    }
    if row.get("status") is not None:
        fields["status"] = row["status"]
    return fields, notes


def subscription(row: dict) -> dict | Skip:
    status = row.get("status")
    if status not in SUBSCRIPTION_STATUSES:
        return Skip("unknown subscription status", repr(status))
    # meta holds optin_ip (the address the subscriber confirmed from): kept whole.
    return {"status": status, "meta": _object(row.get("meta")), **_dates(row)}


def template(row: dict) -> dict | Skip:
    kind = row.get("type") or "campaign"
    if kind not in TEMPLATE_TYPES:
        return Skip("unknown template type", f"{row.get('name')!r}: {kind!r}")
    return {
        "name": _text(row.get("name"))[:480] or "(unnamed template)",
        "type": kind,
        "subject": _text(row.get("subject"))[:1000],
        "body": _text(row.get("body")),
        "body_source": row.get("body_source"),
        "is_default": bool(row.get("is_default")),
        **_dates(row),
    }


def campaign_status(row: dict, *, optin_supported: bool) -> tuple[str, str]:
    """(status, note). Safe: an import never makes anything send.

    draft, finished and cancelled stay. A campaign listmonk had not finished
    comes over paused when nothing went out yet (the admin starts it here) and
    cancelled when some mail did: stmails' sending is keyed by its own
    deliveries, so resuming would mail those people again.
    """
    status = _text(row.get("status")) or "draft"
    sent = int(row.get("sent") or 0)
    if status in SETTLED:
        return status, ""
    if row.get("type") == "optin" and not optin_supported:
        return "cancelled", NOTE_OPTIN.format(status=status)
    if sent > 0:
        note = NOTE_PARTLY_SENT.format(
            status=status, sent=sent, to_send=int(row.get("to_send") or 0)
        )
        return "cancelled", note
    return "paused", NOTE_UNSENT.format(status=status)


def campaign(
    row: dict, *, optin_supported: bool = False
) -> tuple[dict, list[str]] | Skip:
    """(fields, notes); `template_id` stays listmonk's id for the writer to map."""
    if row.get("uuid") is None:
        return Skip("no uuid", _text(row.get("name")))
    notes = []
    status, paused_reason = campaign_status(row, optin_supported=optin_supported)
    if status != row.get("status"):
        notes.append(f"status {row.get('status')} came over as {status}")
    content_type = row.get("content_type") or "richtext"
    if content_type not in CONTENT_TYPES:
        # visual (v5+): the body is the HTML the visual editor made.
        notes.append(f"content type {content_type!r} came over as html")
        content_type = "html"
    headers = row.get("headers")
    fields = {
        "uuid": row["uuid"],
        "name": _text(row.get("name"))[:500] or "(unnamed campaign)",
        "subject": _text(row.get("subject"))[:1000],
        "from_email": _text(row.get("from_email"))[:500],
        "body": _text(row.get("body")),
        "altbody": _text(row.get("altbody")),
        "content_type": content_type,
        "status": status,
        "paused_reason": paused_reason,
        "type": row.get("type") if optin_supported else "regular",
        "headers": headers if isinstance(headers, list) else [],
        "tags": _str_list(row.get("tags")),
        "send_at": row.get("send_at"),
        "to_send": int(row.get("to_send") or 0),
        "sent": int(row.get("sent") or 0),
        "started_at": row.get("started_at"),
        # listmonk keeps no end time: its last update is when it finished.
        "finished_at": row.get("updated_at") if status == "finished" else None,
        "template_id": row.get("template_id"),
        **_dates(row),
    }
    # Carried where stmails has the field, else named in the report as not kept.
    for name in EXTRA_CAMPAIGN_FIELDS:
        if row.get(name) not in (None, "", {}, [], False):
            fields[name] = row[name]
    return fields, notes


def bounce(row: dict) -> dict | Skip:
    kind = row.get("type") or "hard"
    if kind not in BOUNCE_TYPES:
        return Skip("unknown bounce type", repr(kind))
    meta = row.get("meta")
    if isinstance(meta, str):
        meta = _object(meta) or {"value": meta}
    elif meta is not None and not isinstance(meta, dict):
        meta = {"value": meta}
    return {
        "type": kind,
        "source": _text(row.get("source"))[:200],
        "meta": meta or {},
        "created_at": row.get("created_at"),
    }


def bounce_key(subscriber_uuid: Any, bounce_id: Any) -> str:
    """The bounce's event_key: a second import finds it and adds nothing.
    The subscriber's uuid makes listmonk's serial id unique across databases."""
    return f"listmonk:{subscriber_uuid}:{bounce_id}"
