"""Signed links of the subscription flow and the List-Unsubscribe headers.

Links carry signed tokens (django.core.signing), never a bare subscriber uuid:
- the confirmation link expires after OPTIN_MAX_AGE;
- unsubscribe and preferences links do not expire (RFC 8058 one-click links in
  old mails must keep working) and can only lower or tune that one subscriber's
  memberships.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid as uuidlib
import zlib
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import NoReverseMatch, get_resolver, get_urlconf, reverse
from django.utils.encoding import force_bytes

from stmails import config
from subscribers.models import MailingList, Subscriber

OPTIN_SALT = "stmails.subscription.optin"
SUBSCRIPTION_SALT = "stmails.subscription.manage"
OPTIN_MAX_AGE = timedelta(days=7)
_URL_SAFE = re.compile(r"[A-Za-z0-9_\-:.]+")


class TokenError(Exception):
    """A link that cannot be used; `expired` links had a valid signature."""

    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.expired = expired


def optin_token(subscriber: Subscriber) -> str:
    return signing.dumps(subscriber.uuid.hex, salt=OPTIN_SALT)


def subscription_token(
    subscriber: Subscriber, lists: Iterable[MailingList] | None = None
) -> str:
    """A lasting token for unsubscribe and preferences; `lists` narrows unsubscribe."""
    payload: dict[str, Any] = {"s": subscriber.uuid.hex}
    if lists is not None:
        payload["l"] = sorted(lst.id for lst in lists)
    return signing.dumps(payload, salt=SUBSCRIPTION_SALT, compress=True)


def _subscriber(hexid: Any) -> Subscriber:
    try:
        uuid = uuidlib.UUID(hex=str(hexid))
    except ValueError:
        raise TokenError("this link is not valid") from None
    subscriber = Subscriber.objects.filter(uuid=uuid).first()
    if subscriber is None:
        raise TokenError("this subscription no longer exists")
    return subscriber


def read_optin_token(token: str, *, allow_expired: bool = False) -> Subscriber:
    """The subscriber a confirmation link belongs to; TokenError if forged or expired."""
    max_age = None if allow_expired else OPTIN_MAX_AGE
    try:
        hexid = signing.loads(token, salt=OPTIN_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise TokenError("this confirmation link has expired", expired=True) from None
    except signing.BadSignature:
        raise TokenError("this link is not valid") from None
    return _subscriber(hexid)


def read_subscription_token(token: str) -> tuple[Subscriber, list[int] | None]:
    """(subscriber, list ids the link is about, or None for all lists)."""
    try:
        payload = signing.loads(token, salt=SUBSCRIPTION_SALT)
    except signing.BadSignature:
        raise TokenError("this link is not valid") from None
    if not isinstance(payload, dict):
        raise TokenError("this link is not valid")
    list_ids = payload.get("l")
    if list_ids is not None and not (
        isinstance(list_ids, list) and all(isinstance(i, int) for i in list_ids)
    ):
        raise TokenError("this link is not valid")
    return _subscriber(payload.get("s")), list_ids


def _absolute(path: str, root: str | None = None) -> str:
    return (root or config.get_value("app.root_url")).rstrip("/") + path


def confirm_url(subscriber: Subscriber, *, root: str | None = None) -> str:
    token = optin_token(subscriber)
    return _absolute(reverse("subscription:optin", args=[token]), root)


def unsubscribe_url(
    subscriber: Subscriber,
    lists: Iterable[MailingList] | None = None,
    *,
    root: str | None = None,
) -> str:
    token = subscription_token(subscriber, lists)
    return _absolute(_token_path("subscription:unsubscribe", token), root)


_paths: dict[tuple[int, str], tuple[str, ...]] = {}


def _around_token(name: str) -> tuple[str, ...]:
    """(before, after) the token in reverse(name, args=[token]), worked out
    once per URLconf; () when the URL cannot be cut around a marker."""
    key = (id(get_resolver(get_urlconf())), name)
    if key not in _paths:
        marker = "T0KEN"
        try:
            path = reverse(name, args=[marker])
        except NoReverseMatch:
            path = ""
        _paths[key] = tuple(path.split(marker)) if path.count(marker) == 1 else ()
    return _paths[key]


def _token_path(name: str, token: str) -> str:
    """reverse(name, args=[token]) without reversing per mail (a campaign
    makes one per recipient). Signed tokens are URL-safe (base64url, ":" and
    "."), so reverse would put them in unquoted."""
    around = _around_token(name)
    if not around or not _URL_SAFE.fullmatch(token):
        return reverse(name, args=[token])
    return around[0] + token + around[1]


class _PreparedDumps:
    """signing.dumps(obj, salt=salt, compress=compress) for obj's JSON bytes
    (serialized as JSONSerializer does): the same token for the same second.
    Signer derives the salted HMAC key from SECRET_KEY on every call; here it
    is derived once (signing signs with SECRET_KEY; the fallbacks only verify).
    zlib.compress stays per call: whether it shrinks the payload decides the
    token's bytes, and only compressing tells."""

    def __init__(self, salt: str, *, compress: bool):
        key_salt = force_bytes(salt + "signer")
        key = hashlib.sha256(key_salt + force_bytes(settings.SECRET_KEY)).digest()
        self._mac = hmac.new(key, digestmod=hashlib.sha256)
        self._compress = compress
        self._second = -1
        self._stamp = ""

    def __call__(self, data: bytes) -> str:
        flag = ""
        if self._compress:
            compressed = zlib.compress(data)
            if len(compressed) < len(data) - 1:
                data, flag = compressed, "."
        value = f"{flag}{signing.b64_encode(data).decode()}:{self._timestamp()}"
        mac = self._mac.copy()
        mac.update(value.encode())
        return f"{value}:{signing.b64_encode(mac.digest()).decode()}"

    def _timestamp(self) -> str:
        # signing.time, not time: a test freezing either freezes both signers.
        second = int(signing.time.time())
        if second != self._second:
            self._second, self._stamp = second, signing.b62_encode(second)
        return self._stamp


_MARK = "SUBSCRIBER"


class SubscriptionLinks:
    """unsubscribe_url(subscriber, lists, root=root) and confirm_url for one
    campaign run, made once and then asked per recipient: the same URLs, with
    the signing key, the list ids' JSON and the root worked out once."""

    def __init__(
        self, lists: Iterable[MailingList] | None = None, *, root: str | None = None
    ):
        self.root = (root or config.get_value("app.root_url")).rstrip("/")
        payload: dict[str, Any] = {"s": _MARK}
        if lists is not None:
            payload["l"] = sorted(lst.id for lst in lists)
        before, after = json.dumps(payload, separators=(",", ":")).split(_MARK)
        self._around_uuid = (before, after)
        self._unsubscribe = _PreparedDumps(SUBSCRIPTION_SALT, compress=True)
        self._optin = _PreparedDumps(OPTIN_SALT, compress=False)
        # Looked up once: finding the URLconf (a context-local) costs more
        # than signing. Signed tokens are always URL-safe.
        self._paths = {
            name: _around_token(name)
            for name in ("subscription:unsubscribe", "subscription:optin")
        }

    def unsubscribe(self, subscriber: Subscriber) -> str:
        before, after = self._around_uuid
        data = f"{before}{subscriber.uuid.hex}{after}".encode("latin-1")
        return self._url("subscription:unsubscribe", self._unsubscribe(data))

    def confirm(self, subscriber: Subscriber) -> str:
        token = self._optin(f'"{subscriber.uuid.hex}"'.encode("latin-1"))
        return self._url("subscription:optin", token)

    def _url(self, name: str, token: str) -> str:
        around = self._paths[name]
        if not around:
            return self.root + reverse(name, args=[token])
        return f"{self.root}{around[0]}{token}{around[1]}"


def preferences_url(subscriber: Subscriber) -> str:
    token = subscription_token(subscriber)
    return _absolute(reverse("subscription:preferences", args=[token]))


def list_unsubscribe_headers(
    subscriber: Subscriber,
    lists: Iterable[MailingList] | None = None,
    *,
    mailto: str = "",
    root: str | None = None,
    url: str = "",
) -> dict[str, str]:
    """RFC 2369 List-Unsubscribe and RFC 8058 one-click headers for any list mail.

    The URL answers GET with a page and POST (what mail clients send for
    one-click) by unsubscribing from `lists`, or from every list when None.
    `root` (app.root_url) saves a settings query when the caller has it, `url`
    (that unsubscribe URL, made already for the body) the signing.
    """
    value = f"<{url or unsubscribe_url(subscriber, lists, root=root)}>"
    if mailto:
        value += f", <mailto:{mailto}?subject=unsubscribe>"
    return {
        "List-Unsubscribe": value,
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
