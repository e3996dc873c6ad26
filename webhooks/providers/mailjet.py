"""Mailjet event webhooks: one event, or an array when "group events" is on.

Auth: Mailjet signs nothing; the URL carries basic auth
(https://user:pass@host/...), HTTPS recommended (documentation.mailjet.com,
"Event Tracking API"). Mailjet retries every 30 s for 24 h.

Classification (spec §2.8): bounce with hard_bounce=true -> hard; with
hard_bounce=false -> soft, except error "greylisted" (a deferral, as anymail
reads it: ignored). A `bounce` event with `blocked: true` (the receiving server
refused the message, and Mailjet now blocks the address) is still a bounce:
soft unless hard_bounce. spam -> complaint; the separate `blocked`
event (Mailjet refusing to send) and engagement events are ignored. No event id: the key hashes MessageID, event,
email and time. Campaign link: the message's EventPayload (`Payload`) when it is
a JSON object holding X-Stmails-Campaign.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from webhooks.providers.base import (
    COMPLAINT,
    HARD,
    IGNORED,
    SOFT,
    PayloadError,
    ProviderEvent,
)
from webhooks.providers.parsing import (
    CAMPAIGN_HEADERS,
    SUBSCRIBER_HEADERS,
    as_uuid_or_none,
    header_value,
    load_json,
    parse_time,
    recipient_address,
    smtp_status,
    stable_key,
)
from webhooks.providers.verification import BasicAuthProvider

# Mailjet's bounce `error` values -> reason ("Event Tracking API" error list).
ERROR_REASONS = {
    "user unknown": "userunknown",
    "mailbox inactive": "suspend",
    "quota exceeded": "mailboxfull",
    "invalid domain": "hostunknown",
    "no mail host": "hostunknown",
    "relay/access denied": "norelaying",
    "sender blocked": "blocked",
    "blacklisted": "blocked",
    "preblocked": "blocked",
    "content blocked": "spamdetected",
    "spam reporter": "filtered",
    "policy issue": "policyviolation",
    "system issue": "systemerror",
    "protocol issue": "syntaxerror",
    "connection issue": "networkerror",
}


def classify(item: dict) -> str:
    name = item.get("event")
    if name == "bounce":
        if item.get("hard_bounce") is True:
            return HARD
        if str(item.get("error") or "").lower() == "greylisted":
            return IGNORED
        return SOFT
    if name == "spam":
        return COMPLAINT
    return IGNORED


def _payload(value: Any) -> dict:
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return value if isinstance(value, dict) else {}


class Mailjet(BasicAuthProvider):
    slug = "mailjet"
    label = "Mailjet"
    settings_key = "bounce.mailjet"
    reject_status = 401
    docs = (
        "In Mailjet: Account settings → Event notifications (webhooks), URL "
        "https://USERNAME:PASSWORD@<this host>/webhooks/service/mailjet for the "
        "bounce and spam events."
    )

    def parse(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        data = load_json(raw_body)
        items = data if isinstance(data, list) else [data]
        if not all(isinstance(i, dict) and "event" in i for i in items):
            raise PayloadError(
                "expected a Mailjet event object (or an array of them) with event"
            )
        return [self._event(item) for item in items]

    def _event(self, item: dict) -> ProviderEvent:
        email = recipient_address(item.get("email"))
        message_id = item.get("MessageID")
        message_id = "" if message_id is None else str(message_id)
        payload = _payload(item.get("Payload"))
        error = " ".join(
            str(item.get(k) or "") for k in ("error_related_to", "error")
        ).strip()
        return ProviderEvent(
            email=email,
            type=classify(item) if email else IGNORED,
            event_key=stable_key(
                "mailjet", message_id, item.get("event"), email, item.get("time")
            ),
            message_id=message_id,
            campaign_uuid=as_uuid_or_none(header_value(payload, CAMPAIGN_HEADERS)),
            subscriber_uuid=as_uuid_or_none(header_value(payload, SUBSCRIBER_HEADERS)),
            occurred_at=parse_time(item.get("time")),
            status=smtp_status(item.get("error")),
            diagnostic=error[:1000],
            raw=item,
            reason=ERROR_REASONS.get(str(item.get("error") or "").strip().lower(), "")
            if item.get("event") == "bounce"
            else "",
        )
