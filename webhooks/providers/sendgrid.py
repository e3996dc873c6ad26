"""SendGrid Event Webhook, signed (a JSON array of events per POST).

Verification (spec §2.2): ECDSA P-256 / SHA-256 over the
X-Twilio-Email-Event-Webhook-Timestamp header bytes + the raw body; the
signature header is base64 DER (r, s); the key is base64 DER SubjectPublicKeyInfo
from SendGrid's Mail Settings. SendGrid documents no replay window, so we apply
a generous one (retries go on for 24 h) and dedupe on sg_event_id.

Settings: listmonk's bounce.sendgrid_enabled and bounce.sendgrid_key, plus
stmails' bounce.sendgrid_previous_key (a second active key: rotation, or a
second event webhook).

Classification: bounce/type=bounce is hard, type=blocked soft, refined by
bounce_classification (Invalid Address and Mailbox Unavailable hard, the sender-
side classes soft); spamreport is a complaint; deferred, dropped (SendGrid's own
suppression) and engagement events are ignored.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from stmails.config import (
    WHOLE_VALUE,
    Key,
    SettingsError,
    as_bool,
)
from stmails.lib import crypto
from webhooks.providers.base import (
    COMPLAINT,
    HARD,
    IGNORED,
    SOFT,
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

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
MAX_SKEW = timedelta(hours=25)
HARD_CLASSES = {"invalid address", "mailbox unavailable"}
SOFT_CLASSES = {
    "technical failure",
    "content",
    "reputation",
    "frequency or volume too high",
}
# bounce_classification -> reason ("technical failure", "unclassified": from the text).
CLASS_REASONS = {
    "invalid address": "userunknown",
    "mailbox unavailable": "userunknown",
    "content": "spamdetected",
    "reputation": "badreputation",
    "frequency or volume too high": "ratelimited",
}
CAMPAIGN_KEYS = (*CAMPAIGN_HEADERS, "campaign_uuid", "stmails_campaign")
SUBSCRIBER_KEYS = (*SUBSCRIBER_HEADERS, "subscriber_uuid", "stmails_subscriber")


def now() -> datetime:  # tests move the clock to the published vector's time
    return datetime.now(UTC)


@lru_cache(maxsize=16)
def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """Base64 DER SPKI (as SendGrid shows it); PEM armor is tolerated. ValueError if bad."""
    body = "".join(
        line for line in text.strip().splitlines() if not line.startswith("-----")
    )
    try:
        key = serialization.load_der_public_key(base64.b64decode(body, validate=True))
    except (binascii.Error, ValueError, UnsupportedAlgorithm):
        raise ValueError("not a base64 public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ValueError("not an ECDSA P-256 key")
    return key


def as_public_key(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise SettingsError(name, "must be a string")
    if crypto.is_masked(value):
        return value  # unchanged
    try:
        load_public_key(value)
    except ValueError as e:
        raise SettingsError(
            name, f"{e}: paste the verification key from SendGrid's Mail Settings"
        ) from None
    return value.strip()


def classify(item: Mapping[str, Any]) -> str:
    event = item.get("event")
    if event == "spamreport":
        return COMPLAINT
    if event != "bounce":
        return IGNORED
    refined = str(item.get("bounce_classification") or "").strip().lower()
    if refined in HARD_CLASSES:
        return HARD
    if refined in SOFT_CLASSES:
        return SOFT
    return SOFT if item.get("type") == "blocked" else HARD


class SendGrid(Provider):
    slug = "sendgrid"
    label = "SendGrid"
    flat_keys = {
        "enabled": Key(
            "bounce.sendgrid_enabled",
            False,
            as_bool,
            section="bounce_providers",
            label="Enable SendGrid",
        ),
        "key": Key(
            "bounce.sendgrid_key",
            "",
            as_public_key,
            secret=WHOLE_VALUE,
            section="bounce_providers",
            label="Verification key",
        ),
        "previous_key": Key(
            "bounce.sendgrid_previous_key",
            "",
            as_public_key,
            secret=WHOLE_VALUE,
            section="bounce_providers",
            label="Previous verification key (rotation)",
        ),
    }
    settings_key = flat_keys["enabled"].name
    reject_status = 403
    docs = (
        "In SendGrid: Settings → Mail Settings → Event Webhook: POST URL "
        "https://<this host>/webhooks/service/sendgrid, events Bounced, Blocked and "
        "Spam Reports, Signed Event Webhook on; paste its verification key here."
    )

    def verify(
        self,
        raw_body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        config: Mapping[str, Any],
    ) -> None:
        signature = headers.get(SIGNATURE_HEADER) or ""
        timestamp = headers.get(TIMESTAMP_HEADER) or ""
        if not signature or not timestamp:
            raise VerificationError("signature headers missing", self.reject_status)
        # ASCII digits ("²".isdigit() is true) and at most 11 of them (year 5138):
        # anything else cannot be a time within the window, and int() or
        # fromtimestamp() would raise on it.
        if (
            not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 11)
            or abs(now() - datetime.fromtimestamp(int(timestamp), tz=UTC)) > MAX_SKEW
        ):
            raise VerificationError("timestamp outside the window", self.reject_status)
        try:
            der = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            raise VerificationError(
                "signature is not base64", self.reject_status
            ) from None
        signed = timestamp.encode() + raw_body
        for key_text in (config.get("key"), config.get("previous_key")):
            if not key_text:
                continue
            try:
                load_public_key(key_text).verify(der, signed, ec.ECDSA(hashes.SHA256()))
            except ValueError:
                continue  # a stored key that is unreadable verifies nothing
            except InvalidSignature:
                continue
            return
        raise VerificationError("signature does not verify", self.reject_status)

    def parse(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        data = load_json(raw_body)
        if not isinstance(data, list):
            raise PayloadError("expected a JSON array of SendGrid events")
        events = []
        for item in data:
            if not isinstance(item, dict):
                raise PayloadError("each SendGrid event must be a JSON object")
            email = recipient_address(item.get("email"))
            key = item.get("sg_event_id") or stable_key(
                item.get("sg_message_id"),
                item.get("event"),
                email,
                item.get("timestamp"),
            )
            events.append(
                ProviderEvent(
                    email=email,
                    type=classify(item) if email else IGNORED,
                    event_key=clip_key(key),
                    message_id=str(item.get("sg_message_id") or ""),
                    campaign_uuid=as_uuid_or_none(header_value(item, CAMPAIGN_KEYS)),
                    subscriber_uuid=as_uuid_or_none(
                        header_value(item, SUBSCRIBER_KEYS)
                    ),
                    occurred_at=parse_time(item.get("timestamp")),
                    status=str(item.get("status") or "")
                    or smtp_status(item.get("reason")),
                    diagnostic=str(item.get("reason") or item.get("response") or "")[
                        :1000
                    ],
                    raw=item,
                    reason=CLASS_REASONS.get(
                        str(item.get("bounce_classification") or "").strip().lower(),
                        "",
                    ),
                )
            )
        return events
