"""Mailtrap (sending) webhooks: {"events": [...]}, a batch per POST.

Verification: `Mailtrap-Signature` = hex HMAC-SHA256(signing secret, raw body).
The spec (§2.13) found this scheme in several independent implementations but
not in Mailtrap's docs (anymail 15.1 only knows basic auth for Mailtrap):
confirm it against a real delivery before relying on it.

Classification: bounce -> hard, soft bounce -> soft, spam -> complaint;
suspension and reject (Mailtrap refusing to send) and engagement events are
ignored. Event key: event_id. Campaign link: custom_variables.
"""

from __future__ import annotations

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
)
from webhooks.providers.parsing import (
    CAMPAIGN_HEADERS,
    SUBSCRIBER_HEADERS,
    as_uuid_or_none,
    clip_key,
    header_value,
    load_json,
    parse_time,
    recipient_address,
    smtp_status,
    stable_key,
)
from webhooks.providers.verification import verify_body_hmac

TYPES = {"bounce": HARD, "soft bounce": SOFT, "spam": COMPLAINT}
CAMPAIGN_KEYS = (*CAMPAIGN_HEADERS, "campaign_uuid", "stmails_campaign")
SUBSCRIBER_KEYS = (*SUBSCRIBER_HEADERS, "subscriber_uuid", "stmails_subscriber")


class Mailtrap(Provider):
    slug = "mailtrap"
    label = "Mailtrap"
    settings_key = "bounce.mailtrap"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "secret",
            secret=True,
            rotatable=True,
            max_length=500,
            label="Signing secret",
        ),
    )
    reject_status = 401
    docs = (
        "In Mailtrap: Sending → Webhooks → Create new webhook, URL "
        "https://<this host>/webhooks/service/mailtrap, events bounce, soft bounce "
        "and spam; copy its signing secret."
    )

    def verify(
        self,
        raw_body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        config: Mapping[str, Any],
    ) -> None:
        verify_body_hmac(
            raw_body,
            headers,
            config,
            header="Mailtrap-Signature",
            key_field="secret",
            status=self.reject_status,
        )

    def parse(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        data = load_json(raw_body)
        items = data.get("events") if isinstance(data, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise PayloadError('expected a Mailtrap object {"events": [...]}')
        return [self._event(item) for item in items]

    def _event(self, item: dict) -> ProviderEvent:
        email = recipient_address(item.get("email"))
        name = str(item.get("event") or "")
        variables = item.get("custom_variables")
        response = str(item.get("response") or item.get("reason") or "")
        key = item.get("event_id") or stable_key(
            name, item.get("message_id"), email, item.get("timestamp")
        )
        return ProviderEvent(
            email=email,
            type=TYPES.get(name, IGNORED) if email else IGNORED,
            event_key=clip_key(key),
            message_id=str(item.get("message_id") or ""),
            campaign_uuid=as_uuid_or_none(header_value(variables, CAMPAIGN_KEYS)),
            subscriber_uuid=as_uuid_or_none(header_value(variables, SUBSCRIBER_KEYS)),
            occurred_at=parse_time(item.get("timestamp")),
            status=smtp_status(response) or str(item.get("response_code") or ""),
            diagnostic=response[:1000],
            raw=item,
        )
