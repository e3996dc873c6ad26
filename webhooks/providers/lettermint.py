"""Lettermint webhooks (listmonk's provider; one JSON object per POST).

Verification (as listmonk internal/bounce/webhooks/lettermint.go):
`X-Lettermint-Signature: t=<unix>,v1=<hex>` where v1 is HMAC-SHA256(key,
"{t}.{raw body}"), and |now - t| <= 300 s. Settings: listmonk's
bounce.lettermint {enabled, key}, plus previous_key (rotation).

Classification: message.hard_bounced -> hard, message.soft_bounced -> soft,
message.spam_complaint -> complaint; anything else (webhook.test, deliveries...)
is ignored. Event key: the event's id. Campaign link: data.headers (a list of
{name, value}), then data.metadata.
"""

from __future__ import annotations

import time
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
    clip_key,
    header_value,
    load_json,
    parse_time,
    recipient_address,
    smtp_status,
    stable_key,
)
from webhooks.providers.verification import hmac_sha256_hex, matches, secrets

TOLERANCE = 300
TYPES = {
    "message.hard_bounced": HARD,
    "message.soft_bounced": SOFT,
    "message.spam_complaint": COMPLAINT,
}


def parse_signature_header(value: str) -> tuple[str, list[str]]:
    """ "t=1700000000,v1=abc..." -> ("1700000000", ["abc..."])."""
    timestamp, signatures = "", []
    for part in value.split(","):
        name, _, item = part.strip().partition("=")
        if name == "t":
            timestamp = item.strip()
        elif name == "v1" and item.strip():
            signatures.append(item.strip().lower())
    return timestamp, signatures


def sign(key: str, timestamp: str, raw_body: bytes) -> str:
    return hmac_sha256_hex(key, timestamp.encode() + b"." + raw_body)


class Lettermint(Provider):
    slug = "lettermint"
    label = "Lettermint"
    settings_key = "bounce.lettermint"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "key",
            secret=True,
            rotatable=True,
            max_length=500,
            label="Webhook signing secret",
        ),
    )
    reject_status = 400  # listmonk's answer to a bad signature
    docs = (
        "In Lettermint: your project → Webhooks, URL "
        "https://<this host>/webhooks/service/lettermint, events message.hard_bounced, "
        "message.soft_bounced and message.spam_complaint; copy its signing secret."
    )

    def verify(
        self,
        raw_body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        config: Mapping[str, Any],
    ) -> None:
        timestamp, given = parse_signature_header(
            headers.get("X-Lettermint-Signature") or ""
        )
        if not (timestamp.isascii() and timestamp.isdigit()) or not given:
            raise VerificationError(
                "X-Lettermint-Signature missing or malformed", self.reject_status
            )
        ok = False
        for key in secrets(config, "key"):
            expected = sign(key, timestamp, raw_body)
            for signature in given:
                ok = matches(signature, expected) or ok
        if not ok:
            raise VerificationError("bad signature", self.reject_status)
        if len(timestamp) > 11 or abs(time.time() - int(timestamp)) > TOLERANCE:
            raise VerificationError(
                "signature timestamp outside the 300 s window", self.reject_status
            )

    def parse(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        payload = load_json(raw_body)
        if not isinstance(payload, dict) or "event" not in payload:
            raise PayloadError('expected a Lettermint webhook object with "event"')
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        name = str(payload.get("event"))
        email = recipient_address(data.get("recipient"))
        response = (
            data.get("response") if isinstance(data.get("response"), dict) else {}
        )
        echoed, metadata = data.get("headers"), data.get("metadata")
        campaign = header_value(echoed, CAMPAIGN_HEADERS) or header_value(
            metadata, CAMPAIGN_HEADERS
        )
        subscriber = header_value(echoed, SUBSCRIBER_HEADERS) or header_value(
            metadata, SUBSCRIBER_HEADERS
        )
        key = payload.get("id") or stable_key(
            name, data.get("message_id"), email, payload.get("timestamp")
        )
        content = str(response.get("content") or "")
        return [
            ProviderEvent(
                email=email,
                type=TYPES.get(name, IGNORED) if email else IGNORED,
                event_key=clip_key(key),
                message_id=str(data.get("message_id") or ""),
                campaign_uuid=as_uuid_or_none(campaign),
                subscriber_uuid=as_uuid_or_none(subscriber),
                occurred_at=parse_time(payload.get("timestamp")),
                status=str(response.get("enhanced_status_code") or "")
                or smtp_status(content),
                diagnostic=content[:1000],
                raw=payload,
            )
        ]
