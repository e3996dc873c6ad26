"""Standard Webhooks signing (https://www.standardwebhooks.com/), pure.

A secret is shown as `whsec_<base64 of the key bytes>`. Each request carries

    webhook-id: <message id, the same on every retry>
    webhook-timestamp: <unix seconds of this attempt>
    webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>

and `webhook-signature` may list several space-separated signatures (one per
secret while a rotated secret is still honoured).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
KEY_BYTES = 32


class SecretError(ValueError):
    pass


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The key bytes of a `whsec_...` secret (the prefix is optional)."""
    encoded = secret.removeprefix(PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SecretError("the secret is not base64") from None
    if not key:
        raise SecretError("the secret is empty")
    return key


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of body for this message id and timestamp."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    signing_secrets: list[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three webhook-* headers, signed with every given secret (newest first)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            signature(s, msg_id, timestamp, body) for s in signing_secrets
        ),
    }


def verify(secret: str, msg_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """True when one v1 signature of `header` matches (constant time)."""
    expected = signature(secret, msg_id, timestamp, body)
    return any(
        hmac.compare_digest(expected.encode(), candidate.encode())
        for candidate in header.split()
    )
