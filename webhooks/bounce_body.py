"""POST /webhooks/bounce's body -> NewBounce: validation naming the field at fault. Pure.

The view validates with it before storing the request, and the worker reads
the stored body with it again (webhooks.intake), so both see the same bounce.
"""

from __future__ import annotations

import uuid as uuidlib
from datetime import datetime
from typing import Any

from django.http import QueryDict

from bounces.models import Bounce, BounceType
from bounces.parsing.reasons import is_reason
from bounces.services import NewBounce
from stmails.api.errors import BadRequest
from stmails.lib.input_checks import InvalidInput, loads_json
from subscribers.services import SubscriberError, validate_subscriber_email

SOURCE_MAX = Bounce._meta.get_field("source").max_length
EVENT_KEY_MAX = Bounce._meta.get_field("event_key").max_length
# Our event keys are namespaced so a script's ids cannot collide with a provider's.
EVENT_KEY_PREFIX = "webhook:"
# BounceType.values builds its list on every read; this is the body's check.
BOUNCE_TYPES = frozenset(BounceType.values)


def _optional_str(
    data: dict[str, Any], name: str, max_length: int | None = None
) -> str:
    value = data.get(name)
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise BadRequest(name, "must be a string")
    value = value.strip()
    if max_length and len(value) > max_length:
        raise BadRequest(name, f"must be at most {max_length} characters")
    return value


def parse_meta(raw: Any) -> dict[str, Any]:
    """An object, or an escaped JSON string of one (the documented form); absent means {}."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        # No NaN (PostgreSQL's jsonb refuses it), no deep nesting, no NUL.
        try:
            raw = loads_json(raw, "meta")
        except InvalidInput as err:
            if not err.message.startswith("is not valid JSON"):
                raise
            raise BadRequest(
                "meta", "is not valid JSON (send an object or an escaped JSON string)"
            ) from None
    if not isinstance(raw, dict):
        raise BadRequest("meta", "must be a JSON object")
    return raw


def parse_rfc3339(raw: Any) -> datetime | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise BadRequest(
            "created_at", "must be an RFC 3339 time such as 2024-08-20T23:54:22Z"
        )
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        value = None
    # RFC 3339 requires the offset: a bare local time would be ambiguous.
    if value is None or value.tzinfo is None:
        raise BadRequest(
            "created_at", "must be an RFC 3339 time such as 2024-08-20T23:54:22Z"
        )
    return value


def parse_bounce_body(data: Any, idempotency_key: str = "") -> NewBounce:
    """The webhook body -> NewBounce; BadRequest names the field at fault. Pure."""
    if isinstance(data, QueryDict):
        data = data.dict()
    if not isinstance(data, dict):
        raise BadRequest("", "the request body must be a JSON object")
    subscriber_uuid = _optional_str(data, "subscriber_uuid")
    if subscriber_uuid:
        try:
            subscriber_uuid = str(uuidlib.UUID(subscriber_uuid))
        except ValueError:
            raise BadRequest("subscriber_uuid", "is not a valid UUID") from None
    email = data.get("email")
    if email not in (None, ""):
        try:
            email = validate_subscriber_email(email)
        except SubscriberError as e:
            raise BadRequest("email", e.message) from None
    else:
        email = ""
    if not subscriber_uuid and not email:
        raise BadRequest("email", "either email or subscriber_uuid is required")
    source = _optional_str(data, "source", SOURCE_MAX)
    if not source:
        raise BadRequest("source", "is required (such as api or my_script)")
    btype = data.get("type")
    if not isinstance(btype, str) or btype.strip().lower() not in BOUNCE_TYPES:
        raise BadRequest("type", "must be hard, soft or complaint")
    reason = data.get("reason")
    if reason not in (None, "") and not is_reason(reason):
        raise BadRequest(
            "reason", "must be a bounce reason such as userunknown or mailboxfull"
        )
    event_id = _optional_str(data, "event_id") or idempotency_key.strip()
    if len(event_id) > EVENT_KEY_MAX - len(EVENT_KEY_PREFIX):
        raise BadRequest(
            "event_id",
            f"must be at most {EVENT_KEY_MAX - len(EVENT_KEY_PREFIX)} characters",
        )
    return NewBounce(
        type=btype.strip().lower(),
        source=source,
        subscriber_uuid=subscriber_uuid or None,
        email=email or None,
        campaign_uuid=_optional_str(data, "campaign_uuid") or None,
        meta=parse_meta(data.get("meta")),
        created_at=parse_rfc3339(data.get("created_at")),
        event_key=f"{EVENT_KEY_PREFIX}{event_id}" if event_id else None,
        provider_message_id=_optional_str(data, "provider_message_id", 500),
        status_code=_optional_str(data, "status_code", 20),
        reason=reason or "",
        payload=data,  # kept on the Unmatched list when nobody matches
    )
