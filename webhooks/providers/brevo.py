"""Brevo (ex-Sendinblue) transactional webhooks: one event, or an array when batched.

Auth (developers.brevo.com/docs/secured-webhooks): Brevo signs nothing; it sends
basic auth from the URL (https://user:pass@host/...) or a bearer token
(`auth: {type: bearer, token}` when the webhook is created). Either configured
scheme is accepted; with none configured every request is refused. 401 on
failure: most 4xx stop Brevo's retries.

Classification (spec §2.7): hard_bounce, invalid_email -> hard; soft_bounce ->
soft; spam, complaint -> complaint; blocked (Brevo's own suppression), deferred
and engagement events are ignored. There is no event id: the key hashes
message-id, email, event and ts_epoch (ms, UTC). Campaign link: X-Mailin-custom,
when it holds a JSON object with X-Stmails-Campaign.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from webhooks.providers.base import (
    COMPLAINT,
    HARD,
    IGNORED,
    SOFT,
    Field,
    PayloadError,
    Provider,
    ProviderEvent,
    VerificationError,
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
from webhooks.providers.verification import basic_auth_ok, matches, secrets

TYPES = {
    "hard_bounce": HARD,
    "invalid_email": HARD,
    "soft_bounce": SOFT,
    "spam": COMPLAINT,
    "complaint": COMPLAINT,
}


def _custom(value: Any) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _occurred(item: dict) -> Any:
    ts = item.get("ts_epoch")
    if isinstance(ts, int | float) and ts > 1e11:  # milliseconds
        return ts / 1000
    return ts if ts is not None else item.get("ts_event")


class Brevo(Provider):
    slug = "brevo"
    label = "Brevo"
    settings_key = "bounce.brevo"
    fields: ClassVar[tuple[Field, ...]] = (
        Field("username", rotatable=True, max_length=200, label="Basic auth username"),
        Field(
            "password",
            secret=True,
            rotatable=True,
            max_length=500,
            label="Basic auth password",
        ),
        Field(
            "token", secret=True, rotatable=True, max_length=500, label="Bearer token"
        ),
    )
    reject_status = 401
    docs = (
        "In Brevo: Transactional → Settings → Webhooks → Add a new webhook, URL "
        "https://USERNAME:PASSWORD@<this host>/webhooks/service/brevo (or a bearer "
        "token set through the API), events hard bounce, soft bounce, invalid email, "
        "complaint/spam."
    )

    def verify(
        self,
        raw_body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        config: Mapping[str, Any],
    ) -> None:
        scheme, _, value = (headers.get("Authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            if any(matches(value.strip(), t) for t in secrets(config, "token")):
                return
        elif scheme.lower() == "basic" and basic_auth_ok(headers, config):
            return
        raise VerificationError(
            "basic auth or bearer token missing or wrong", self.reject_status
        )

    def parse(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        data = load_json(raw_body)
        items = data if isinstance(data, list) else [data]
        if not all(isinstance(i, dict) and "event" in i for i in items):
            raise PayloadError(
                "expected a Brevo event object (or an array of them) with event"
            )
        return [self._event(item) for item in items]

    def _event(self, item: dict) -> ProviderEvent:
        name = str(item.get("event"))
        email = recipient_address(item.get("email"))
        message_id = str(item.get("message-id") or "")
        custom = _custom(item.get("X-Mailin-custom"))
        reason = str(item.get("reason") or "").strip()
        return ProviderEvent(
            email=email,
            type=TYPES.get(name, IGNORED) if email else IGNORED,
            event_key=stable_key(
                "brevo",
                message_id,
                email,
                name,
                item.get("ts_epoch") or item.get("ts_event"),
            ),
            message_id=message_id,
            campaign_uuid=as_uuid_or_none(header_value(custom, CAMPAIGN_HEADERS)),
            subscriber_uuid=as_uuid_or_none(header_value(custom, SUBSCRIBER_HEADERS)),
            occurred_at=parse_time(_occurred(item)),
            status=smtp_status(reason),
            diagnostic=reason[:1000],
            raw=item,
        )
