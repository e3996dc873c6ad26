"""Who a one-off mail goes to: listmonk's /api/tx recipient forms and modes,
and the test send's addresses.

listmonk's rules: exactly one of subscriber_email, subscriber_id,
subscriber_emails, subscriber_ids; subscriber_mode
- default: every recipient must be an existing subscriber (by id or e-mail);
- fallback: e-mail addresses only; an existing subscriber gets the mail as
  such, an unknown address gets it with an empty subscriber (only the e-mail);
- external: e-mail addresses only, never looked up (no subscriber data, so no
  bounce is tied to anyone).
One unknown or malformed recipient refuses the whole request (listmonk sends
to the others first, then answers 400).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower

from campaigns.services import CampaignError
from stmails.lib.input_checks import InvalidInput, parse_id
from subscribers.models import Subscriber

SUBSCRIBER_MODES = ("default", "fallback", "external")
RECIPIENT_FIELDS = (
    "subscriber_email", "subscriber_id", "subscriber_emails", "subscriber_ids",
)  # fmt: skip
# One request renders and stores every mail before answering: keep it bounded.
MAX_RECIPIENTS = 1000


@dataclass(frozen=True)
class Recipient:
    email: str
    subscriber: Subscriber | None = None


def clean_email(raw: Any, field: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise CampaignError(field, "must be an e-mail address")
    email = raw.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise CampaignError(field, f"{email!r} is not a valid e-mail address") from None
    return email


def subscribers_by_email(emails: Iterable[str]) -> dict[str, Subscriber]:
    """Existing subscribers keyed by lowercased address (addresses are unique
    case-insensitively)."""
    lowered = {e.lower() for e in emails}
    found = Subscriber.objects.annotate(email_lower=Lower("email")).filter(
        email_lower__in=lowered
    )
    return {s.email.lower(): s for s in found}


def _given(data: dict[str, Any]) -> tuple[str, list[Any]]:
    """The one recipient field of the request and its values as a list."""
    given = [f for f in RECIPIENT_FIELDS if data.get(f) not in (None, "", [], 0)]
    if not given:
        raise CampaignError(
            "subscriber_email",
            "give subscriber_email, subscriber_id, subscriber_emails or subscriber_ids",
        )
    if len(given) > 1:
        raise CampaignError(
            given[1], f"give only one of {', '.join(given)} (listmonk's rule)"
        )
    field = given[0]
    raw = data[field]
    if field.endswith("s"):
        if not isinstance(raw, list):
            raise CampaignError(field, "must be a list")
        if len(raw) > MAX_RECIPIENTS:
            raise CampaignError(field, f"at most {MAX_RECIPIENTS} recipients a request")
        return field, raw
    return field, [raw]


def _ids(values: list[Any], field: str) -> list[int]:
    ids = []
    for value in values:
        try:
            ids.append(parse_id(value, field))
        except InvalidInput:
            raise CampaignError(field, f"{value!r} is not a subscriber id") from None
    return ids


def tx_recipients(data: dict[str, Any]) -> list[Recipient]:
    """The recipients of a /api/tx request, in the order given, each once."""
    mode = data.get("subscriber_mode") or "default"
    if mode not in SUBSCRIBER_MODES:
        raise CampaignError(
            "subscriber_mode", f"must be one of {', '.join(SUBSCRIBER_MODES)}"
        )
    field, values = _given(data)
    out: list[Recipient] = []
    if field in ("subscriber_id", "subscriber_ids"):
        if mode != "default":
            raise CampaignError(
                field, f"{mode} mode takes e-mail addresses (subscriber_emails)"
            )
        ids = _ids(values, field)
        by_id = Subscriber.objects.in_bulk(ids)
        for pk in ids:
            if pk not in by_id:
                raise CampaignError(field, f"subscriber {pk} not found")
            out.append(Recipient(by_id[pk].email, by_id[pk]))
    else:
        emails = [clean_email(v, field) for v in values]
        known = subscribers_by_email(emails) if mode != "external" else {}
        for email in emails:
            subscriber = known.get(email.lower())
            if subscriber is None and mode == "default":
                raise CampaignError(field, f"{email} is not a subscriber")
            out.append(Recipient(subscriber.email if subscriber else email, subscriber))
    # One mail per address even when given twice.
    return list({r.email.lower(): r for r in out}.values())


def subscriber_context(recipient: Recipient) -> dict[str, Any]:
    """The template's subscriber: empty but for the e-mail without one
    (listmonk's fallback and external modes)."""
    s = recipient.subscriber
    if s is None:
        return {"email": recipient.email}
    return {
        "name": s.name,
        "email": s.email,
        "uuid": s.uuid,
        "attribs": s.attribs,
        "status": s.status,
        "created_at": s.created_at,
    }
