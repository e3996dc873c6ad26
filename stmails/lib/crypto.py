"""Encryption at rest for stored credentials (SMTP, mailbox and webhook secrets).

The key comes from STMAILS_ENCRYPTION_KEY (a Fernet key; several, comma-separated,
allow rotation: the first encrypts, all decrypt).
"""

from __future__ import annotations

import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

PREFIX = "enc:v1:"
MASK = "\u2022" * 8


class DecryptionError(Exception):
    pass


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.STMAILS_ENCRYPTION_KEYS])


def encrypt(plain: str) -> str:
    if plain == "":
        return ""
    return PREFIX + _fernet().encrypt(plain.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise DecryptionError("value is not encrypted")
    try:
        return _fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "stored credential cannot be decrypted: was STMAILS_ENCRYPTION_KEY changed?"
        ) from None


def is_masked(value: object) -> bool:
    """A value sent back by a client that read a masked secret: keep the stored one."""
    return isinstance(value, str) and (
        value == "" or set(value) == {"\u2022"} or value == "********"
    )


def mask(stored: str) -> str:
    return MASK if stored else ""


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
