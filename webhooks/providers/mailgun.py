"""Mailgun webhooks (one JSON object per event: {"signature": {...}, "event-data": {...}}).

Verification (documentation.mailgun.com, "Securing webhooks"):
`signature.signature == hex(HMAC-SHA256(signing_key, timestamp + token))`, where
the key is the account's "HTTP webhook signing key" (not the API key). Mailgun
signs only timestamp+token, so replay protection is ours: the timestamp must be
within MAX_SKEW of now, and a token is accepted once. A token seen again is
accepted only with the very same body (a retry of what we already stored: the
inbox deduplicates it); with another body it is a replay and refused.
Failures answer 406, the only status that stops Mailgun's retries (spec §2.6).

Classification: failed + severity permanent -> hard, failed + temporary -> soft
(Mailgun's "temporary_fail" webhook), complained -> complaint. A failure whose
reason is suppress-* is Mailgun refusing to send to an address it already
suppresses: ignored. Event key: event-data.id (unique per day only) + timestamp.
Campaign link: user-variables (v:X-Stmails-Campaign) or the echoed headers.
"""

from __future__ import annotations

import hashlib
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

MAX_SKEW = 300  # seconds either side of now
TOKEN_TTL = 2 * MAX_SKEW + 60  # past this the timestamp check refuses it anyway
CAMPAIGN_KEYS = (*CAMPAIGN_HEADERS, "campaign_uuid", "stmails_campaign")
SUBSCRIBER_KEYS = (*SUBSCRIBER_HEADERS, "subscriber_uuid", "stmails_subscriber")


def signature_ok(key: str, timestamp: str, token: str, signature: str) -> bool:
    """Pure: does `signature` sign timestamp+token with `key`?"""
    expected = hmac_sha256_hex(key, f"{timestamp}{token}".encode())
    return matches(signature.strip().lower(), expected)


def _message_id(value: Any) -> str:
    # Mailgun strips the angle brackets of the Message-ID header; put them back
    # so it matches the header we sent.
    if not isinstance(value, str) or not value.strip():
        return ""
    value = value.strip()
    return value if value.startswith("<") else f"<{value}>"


class Mailgun(Provider):
    slug = "mailgun"
    label = "Mailgun"
    settings_key = "bounce.mailgun"
    fields: ClassVar[tuple[Field, ...]] = (
        Field(
            "signing_key",
            secret=True,
            rotatable=True,
            max_length=500,
            label="HTTP webhook signing key",
        ),
    )
    reject_status = 406
    docs = (
        "In Mailgun: Sending → Webhooks, add https://<this host>/webhooks/service/mailgun "
        "for Permanent Failure, Temporary Failure and Spam Complaints; the signing key "
        "is under API Security → HTTP webhook signing key."
    )

    def verify(
        self,
        raw_body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        config: Mapping[str, Any],
    ) -> None:
        # The signature lives inside the JSON: a body that is not JSON is a 400.
        data = load_json(raw_body)
        block = data.get("signature") if isinstance(data, dict) else None
        if not isinstance(block, dict):
            raise VerificationError("signature block missing", self.reject_status)
        timestamp, token, signature = (
            str(block.get(k) or "") for k in ("timestamp", "token", "signature")
        )
        if not (timestamp and token and signature):
            raise VerificationError("signature fields missing", self.reject_status)
        if not any(
            signature_ok(k, timestamp, token, signature)
            for k in secrets(config, "signing_key")
        ):
            raise VerificationError("bad signature", self.reject_status)
        try:
            skew = abs(time.time() - float(timestamp))
        except ValueError:
            raise VerificationError("bad timestamp", self.reject_status) from None
        if skew > MAX_SKEW:
            raise VerificationError(
                "timestamp outside the allowed window", self.reject_status
            )
        # Imported here: the parser runs without Django's settings (parse_webhook).
        from django.core.cache import cache

        body_hash = hashlib.sha256(raw_body).hexdigest()
        cache_key = (
            f"webhooks:mailgun:token:{hashlib.sha256(token.encode()).hexdigest()}"
        )
        # cache.add claims the token (atomic on Redis and locmem; on the file cache
        # only two simultaneous copies could both pass, and the inbox dedupes those).
        if (
            not cache.add(cache_key, body_hash, TOKEN_TTL)
            and cache.get(cache_key) != body_hash
        ):
            raise VerificationError("token already used", self.reject_status)

    def parse(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        data = load_json(raw_body)
        event = data.get("event-data") if isinstance(data, dict) else None
        if not isinstance(event, dict):
            raise PayloadError('expected a Mailgun webhook object with "event-data"')
        name = str(event.get("event") or "")
        severity = str(event.get("severity") or "")
        reason = str(event.get("reason") or "")
        if name == "failed" and reason.startswith("suppress-"):
            btype = IGNORED
        elif name == "failed" and severity == "permanent":
            btype = HARD
        elif name == "failed" and severity == "temporary":
            btype = SOFT
        elif name == "complained":
            btype = COMPLAINT
        else:
            btype = IGNORED
        email = recipient_address(event.get("recipient"))
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        msg_headers = (
            message.get("headers") if isinstance(message.get("headers"), dict) else {}
        )
        variables = event.get("user-variables")
        variables = variables if isinstance(variables, dict) else {}
        status = event.get("delivery-status")
        status = status if isinstance(status, dict) else {}
        if event.get("id"):
            key = f"{event['id']}:{event.get('timestamp')}"
        else:
            key = stable_key(
                name, email, event.get("timestamp"), msg_headers.get("message-id")
            )
        campaign = header_value(variables, CAMPAIGN_KEYS) or header_value(
            msg_headers, CAMPAIGN_HEADERS
        )
        subscriber = header_value(variables, SUBSCRIBER_KEYS) or header_value(
            msg_headers, SUBSCRIBER_HEADERS
        )
        diagnostic = str(status.get("message") or status.get("description") or reason)
        return [
            ProviderEvent(
                email=email,
                type=btype if email else IGNORED,
                event_key=clip_key(key),
                message_id=_message_id(msg_headers.get("message-id")),
                campaign_uuid=as_uuid_or_none(campaign),
                subscriber_uuid=as_uuid_or_none(subscriber),
                occurred_at=parse_time(event.get("timestamp")),
                status=smtp_status(diagnostic) or str(status.get("code") or ""),
                diagnostic=diagnostic[:1000],
                raw=data,
                # Mailgun's own reasons: "old" (gave up retrying), "espblock".
                reason={"old": "expired", "espblock": "blocked"}.get(reason, ""),
            )
        ]
