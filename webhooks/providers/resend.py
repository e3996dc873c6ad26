"""Resend webhooks, signed through Svix (one JSON object per POST).

Verification (Svix / Standard Webhooks; spec §2.10):
- secret `whsec_<base64>`: the HMAC key is the base64-decoded part;
- signed content `svix-id + "." + svix-timestamp + "." + raw body`;
- `svix-signature: v1,<base64 HMAC-SHA256>`, possibly several space-separated
  entries (Svix sends one per active secret during its own rotation): any match;
- |now - svix-timestamp| <= 5 minutes.
`svix-id` is stable across Svix's retries, so it is the event key.

Classification: email.bounced -> hard (Resend reports permanent rejections),
email.complained -> complaint; everything else (delivery_delayed, sent, ...)
is ignored. Resend does not say which recipient an event is about, so only a
message with exactly one recipient is attributed (anymail takes to[0]; with
several recipients that would blame the wrong address): send one recipient per
message, as stmails does for campaigns.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from webhooks.providers.base import (
    COMPLAINT,
    HARD,
    IGNORED,
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
from webhooks.providers.verification import matches, secrets

TOLERANCE = 300  # seconds, Svix's own window
TYPES = {"email.bounced": HARD, "email.complained": COMPLAINT}
CAMPAIGN_KEYS = (*CAMPAIGN_HEADERS, "campaign_uuid", "stmails_campaign")
SUBSCRIBER_KEYS = (*SUBSCRIBER_HEADERS, "subscriber_uuid", "stmails_subscriber")


def svix_key(secret: str) -> bytes:
    secret = secret.strip()
    if secret.startswith("whsec_"):
        secret = secret[len("whsec_") :]
    try:
        return base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        raise VerificationError(
            "the configured secret is not a whsec_ base64 secret", 401
        ) from None


def svix_signature(secret: str, msg_id: str, timestamp: str, raw_body: bytes) -> str:
    """The `v1,<base64>` entry Svix would send: for tests and the vector."""
    signed = f"{msg_id}.{timestamp}.".encode() + raw_body
    digest = hmac.new(svix_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def svix_signature_ok(
    secret: str, msg_id: str, timestamp: str, raw_body: bytes, header: str
) -> bool:
    """Pure: does any v1 entry of the svix-signature header match? (no time check)"""
    expected = svix_signature(secret, msg_id, timestamp, raw_body).split(",", 1)[1]
    ok = False
    for entry in header.split():
        version, _, value = entry.partition(",")
        if version == "v1" and matches(value, expected):
            ok = True
    return ok


class Resend(Provider):
    slug = "resend"
    label = "Resend"
    settings_key = "bounce.resend"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "secret",
            secret=True,
            rotatable=True,
            max_length=500,
            label="Signing secret (whsec_...)",
        ),
    )
    reject_status = 401
    docs = (
        "In Resend: Webhooks → Add endpoint https://<this host>/webhooks/service/resend, "
        "events email.bounced and email.complained; copy its signing secret (whsec_...)."
    )

    def verify(
        self,
        raw_body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        config: Mapping[str, Any],
    ) -> None:
        msg_id = headers.get("svix-id") or ""
        timestamp = headers.get("svix-timestamp") or ""
        header = headers.get("svix-signature") or ""
        if not (msg_id and timestamp and header):
            raise VerificationError("svix headers missing", self.reject_status)
        if not any(
            svix_signature_ok(s, msg_id, timestamp, raw_body, header)
            for s in secrets(config, "secret")
        ):
            raise VerificationError("bad signature", self.reject_status)
        try:
            skew = abs(time.time() - int(timestamp))
        except ValueError:
            raise VerificationError("bad svix-timestamp", self.reject_status) from None
        if skew > TOLERANCE:
            raise VerificationError(
                "svix-timestamp outside the 5-minute window", self.reject_status
            )

    def parse(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        payload = load_json(raw_body)
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise PayloadError('expected a Resend event object with "type" and "data"')
        data = payload["data"]
        to = data.get("to")
        recipients = [to] if isinstance(to, str) else to if isinstance(to, list) else []
        btype = TYPES.get(str(payload.get("type")), IGNORED)
        if len(recipients) != 1:
            btype = IGNORED  # which recipient bounced is unknown: see the module doc
        email = recipient_address(recipients[0]) if recipients else ""
        bounce = data.get("bounce") if isinstance(data.get("bounce"), dict) else {}
        tags = data.get("tags")
        echoed = data.get("headers")
        campaign = header_value(tags, CAMPAIGN_KEYS) or header_value(
            echoed, CAMPAIGN_HEADERS
        )
        subscriber = header_value(tags, SUBSCRIBER_KEYS) or header_value(
            echoed, SUBSCRIBER_HEADERS
        )
        key = headers.get("svix-id") or stable_key(
            payload.get("type"), data.get("email_id"), email, payload.get("created_at")
        )
        diagnostic = str(bounce.get("message") or "")
        return [
            ProviderEvent(
                email=email,
                type=btype if email else IGNORED,
                event_key=clip_key(key),
                message_id=str(data.get("email_id") or ""),
                campaign_uuid=as_uuid_or_none(campaign),
                subscriber_uuid=as_uuid_or_none(subscriber),
                occurred_at=parse_time(payload.get("created_at")),
                status=smtp_status(diagnostic),
                diagnostic=diagnostic[:1000],
                raw=payload,
            )
        ]
