"""Short signed ids for VERP return addresses (pure: no Django, no app).

A token is the id in base36 followed by a 10-character MAC (the first 50 bits
of HMAC-SHA256 over the id, in base32): "bounces+<token>@domain" stays far
below the 64-character local-part limit even for 64-bit ids. Lowercase only,
because some mail servers lowercase the local part of the address they bounce
to; reading lowercases the token for the same reason.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

MAC_CHARS = 10
_TOKEN_RE = re.compile(r"[0-9a-z]+")
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def derive_key(secret: str, salt: str) -> bytes:
    """A purpose-bound key from the site secret (django's salted_hmac way):
    the same secret always gives the same key, across restarts."""
    return hashlib.sha256((salt + secret).encode()).digest()


def _base36(number: int) -> str:
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = _DIGITS[digit] + out
        if not number:
            return out


def _mac(body: str, key: bytes) -> str:
    digest = hmac.new(key, b"verp:" + body.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:MAC_CHARS]


def make_verp_token(delivery_id: int, *, key: bytes) -> str:
    if delivery_id < 0:
        raise ValueError("delivery_id must not be negative")
    body = _base36(delivery_id)
    return body + _mac(body, key)


def read_verp_token(token: str, *, key: bytes) -> int | None:
    """The id a token signs, or None when it is malformed or not ours."""
    token = (token or "").strip().lower()
    if len(token) <= MAC_CHARS or len(token) > 40 or not _TOKEN_RE.fullmatch(token):
        return None
    body = token[:-MAC_CHARS]
    delivery_id = int(body, 36)
    # Compare the whole canonical token: rejects forged MACs and padded ids alike.
    if not hmac.compare_digest(make_verp_token(delivery_id, key=key), token):
        return None
    return delivery_id
