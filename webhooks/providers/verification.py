"""Helpers that check a webhook request for real: constant-time comparison,
rotated secrets, basic auth and a body HMAC in one header. Each provider's
`verify()` uses them (the contract is base.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from webhooks.providers.base import Field, Provider, VerificationError


def secrets(config: Mapping[str, Any], name: str) -> Iterator[str]:
    """The current value of a credential, then its previous one (rotation)."""
    for key in (name, f"previous_{name}"):
        value = config.get(key) or ""
        if value:
            yield value


def matches(given: str | bytes, expected: str | bytes) -> bool:
    """Constant-time comparison of two strings or byte strings."""
    if isinstance(given, str):
        given = given.encode()
    if isinstance(expected, str):
        expected = expected.encode()
    return hmac.compare_digest(given, expected)


def hmac_sha256_hex(key: str | bytes, data: bytes) -> str:
    if isinstance(key, str):
        key = key.encode()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def basic_auth_ok(
    headers: Mapping[str, str],
    config: Mapping[str, Any],
    user_field: str = "username",
    secret_field: str = "password",  # noqa: S107 (a field name, not a password)
) -> bool:
    """Basic auth against the configured pair or the previous one (rotation).

    A previous pair with an empty previous username reuses the current username.
    No configured password means nothing can match: fail closed.
    """
    auth = headers.get("Authorization") or ""
    scheme, _, encoded = auth.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return False
    try:
        user, sep, password = base64.b64decode(encoded.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    if not sep:
        return False
    pairs = [(config.get(user_field) or "", config.get(secret_field) or "")]
    previous = config.get(f"previous_{secret_field}") or ""
    if previous:
        prev_user = config.get(f"previous_{user_field}") or pairs[0][0]
        pairs.append((prev_user, previous))
    ok = False
    for want_user, want_password in pairs:
        if not want_password:
            continue
        # Both comparisons always run: no early exit that times the username.
        pair_ok = matches(user, want_user) & matches(password, want_password)
        ok = ok or pair_ok
    return ok


# The pair a provider that signs nothing sends in its webhook URL
# (https://USER:PASSWORD@host/...), with a previous pair for rotation.
BASIC_AUTH_FIELDS: tuple[Field, ...] = (
    Field("username", rotatable=True, max_length=200, label="Username"),
    Field("password", secret=True, rotatable=True, max_length=500, label="Password"),
)


class BasicAuthProvider(Provider):
    """A provider verified by HTTP basic auth alone (Postmark, Mailjet, SparkPost)."""

    fields: ClassVar[tuple[Field, ...]] = BASIC_AUTH_FIELDS

    def verify(
        self,
        raw_body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        config: Mapping[str, Any],
    ) -> None:
        if not basic_auth_ok(headers, config):
            raise VerificationError("basic auth missing or wrong", self.reject_status)


def verify_body_hmac(
    raw_body: bytes,
    headers: Mapping[str, str],
    config: Mapping[str, Any],
    *,
    header: str,
    key_field: str,
    status: int,
) -> None:
    """The hex HMAC-SHA256 of the raw body in one header (Forward Email,
    MailerSend, Mailtrap), checked against every active secret."""
    given = (headers.get(header) or "").strip().lower()
    if not given:
        raise VerificationError(f"{header} header missing", status)
    ok = False
    # No short cut: every active secret is compared, whichever one matches.
    for secret in secrets(config, key_field):
        ok |= matches(given, hmac_sha256_hex(secret, raw_body))
    if not ok:
        raise VerificationError("signature does not verify", status)
