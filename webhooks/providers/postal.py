"""Postal (self-hosted) webhooks: {"event", "timestamp", "payload", "uuid"}.

Verification (spec §2.11; postalserver/postal webhook_delivery_service_spec.rb):
Postal signs the raw body with the server's RSA key, PKCS#1 v1.5, and sends
`X-Postal-Signature-256` (SHA-256) and `X-Postal-Signature` (SHA-1), base64.
SHA-256 is preferred; SHA-1 is tried only when no SHA-256 signature is sent,
never as a fallback for a bad SHA-256 one (that would let a downgrade through).
The public key is the one Postal shows (anymail's POSTAL_WEBHOOK_KEY): bare
base64 SubjectPublicKeyInfo; PEM is accepted too.

Classification: MessageDeliveryFailed with status HardFail, and MessageBounced,
-> hard. MessageDelayed / SoftFail are ignored (Postal keeps retrying), as are
MessageSent, MessageHeld, clicks, loads and DNS errors. Event key: uuid.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, ClassVar

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from stmails.config import Key, SettingsError
from webhooks.providers.base import (
    HARD,
    IGNORED,
    Field,
    PayloadError,
    Provider,
    ProviderEvent,
    VerificationError,
)
from webhooks.providers.parsing import (
    clip_key,
    load_json,
    parse_time,
    recipient_address,
    smtp_status,
    stable_key,
)
from webhooks.providers.verification import secrets


@lru_cache(maxsize=8)
def load_public_key(text: str) -> rsa.RSAPublicKey:
    """Bare base64 DER SubjectPublicKeyInfo (as Postal shows it) or PEM."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            der = base64.b64decode("".join(text.split()), validate=True)
            key = serialization.load_der_public_key(der)
    except (ValueError, binascii.Error, UnsupportedAlgorithm):
        raise VerificationError(
            "the configured Postal public key cannot be read", 401
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise VerificationError(
            "the configured Postal public key is not an RSA key", 401
        )
    return key


def signature_ok(
    public_key: str, raw_body: bytes, signature: str, algorithm: hashes.HashAlgorithm
) -> bool:
    """Pure: RSA PKCS#1 v1.5 over the raw body."""
    try:
        sig = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        load_public_key(public_key).verify(sig, raw_body, padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        return False
    return True


class Postal(Provider):
    slug = "postal"
    label = "Postal"
    settings_key = "bounce.postal"
    fields: ClassVar[tuple[Field, ...]] = (
        # A public key is no secret: shown in full, so the admin can compare it.
        Field(
            "public_key", rotatable=True, max_length=5000, label="Webhook public key"
        ),
    )
    reject_status = 401
    docs = (
        "In Postal: your server → Webhooks → Add webhook, URL "
        "https://<this host>/webhooks/service/postal, events MessageDeliveryFailed "
        "and MessageBounced; paste the public key Postal shows for signing."
    )

    @classmethod
    def object_key(cls) -> Key:
        """The base key, plus: a key that cannot be read is refused when saved."""
        key = super().object_key()

        def validate(name: str, value: Any) -> dict:
            value = key.validate(name, value)
            for field in ("public_key", "previous_public_key"):
                if value.get(field):
                    try:
                        load_public_key(value[field])
                    except VerificationError:
                        raise SettingsError(
                            f"{name}.{field}",
                            "is not an RSA public key (base64 or PEM)",
                        ) from None
            return value

        return dataclasses.replace(key, validate=validate)

    def verify(
        self,
        raw_body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        config: Mapping[str, Any],
    ) -> None:
        sig256 = headers.get("X-Postal-Signature-256") or ""
        sig1 = headers.get("X-Postal-Signature") or ""
        if sig256:
            signature, algorithm = sig256, hashes.SHA256()
        elif sig1:
            signature, algorithm = sig1, hashes.SHA1()  # noqa: S303 (Postal's legacy header)
        else:
            raise VerificationError(
                "X-Postal-Signature-256 missing", self.reject_status
            )
        if not any(
            signature_ok(k, raw_body, signature, algorithm)
            for k in secrets(config, "public_key")
        ):
            raise VerificationError("bad signature", self.reject_status)

    def parse(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        data = load_json(raw_body)
        if not isinstance(data, dict) or not isinstance(data.get("payload"), dict):
            raise PayloadError(
                'expected a Postal webhook object with "event" and "payload"'
            )
        name = str(data.get("event") or "")
        payload = data["payload"]
        message = (
            payload.get("original_message")
            if name == "MessageBounced"
            else payload.get("message")
        )
        message = message if isinstance(message, dict) else {}
        if name == "MessageBounced" or (
            name == "MessageDeliveryFailed" and payload.get("status") == "HardFail"
        ):
            btype = HARD
        else:
            btype = IGNORED
        email = recipient_address(message.get("to"))
        details = str(payload.get("details") or "")
        output = str(payload.get("output") or "")
        key = data.get("uuid") or stable_key(
            name, message.get("id"), email, data.get("timestamp")
        )
        return [
            ProviderEvent(
                email=email,
                type=btype if email else IGNORED,
                event_key=clip_key(key),
                message_id=str(message.get("message_id") or ""),
                occurred_at=parse_time(data.get("timestamp")),
                status=smtp_status(output, details),
                diagnostic=(f"{details} {output}".strip())[:1000],
                raw=data,
            )
        ]
