"""API authentication, as listmonk's: basic auth or `Authorization: token name:token`.

Accepted on every /api/* endpoint and /webhooks/bounce:
- HTTP basic auth with an API user's name and access token;
- `Authorization: token <api_username>:<access_token>`;
- HTTP basic auth with an admin's own username and password;
- a logged-in admin session (with CSRF).
Attempts are counted per account and client address before the credentials
are checked (stmails.lockout); past the limit that pair gets 429 with
Retry-After until the window passes.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import time
from collections.abc import Callable
from datetime import UTC, timedelta
from functools import lru_cache, partial

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, CSRFCheck
from rest_framework.request import Request

from stmails import lockout
from stmails.models import ApiUser, hash_token

log = logging.getLogger(__name__)


class TooManyFailures(exceptions.APIException):
    status_code = 429
    default_detail = "too many failed authentication attempts; try again later"

    def __init__(self, retry_after: int):
        super().__init__()
        self.wait = retry_after  # the error handler sends it as Retry-After


@lru_cache(maxsize=4)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def _ip(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or behind a trusted reverse proxy
    (settings.STMAILS_TRUSTED_PROXIES) the right-most X-Forwarded-For entry that
    is not itself a trusted proxy. Entries left of it are the client's own
    claims and are never believed."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    trusted = _networks(tuple(settings.STMAILS_TRUSTED_PROXIES))
    ip = _ip(remote)
    if not trusted or ip is None or not any(ip in n for n in trusted):
        return remote
    client = remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")[:4096]
    for hop in reversed(forwarded.split(",")):
        ip = _ip(hop)
        if ip is None:
            break  # not an address: believe nothing further left
        client = str(ip)
        if not any(ip in n for n in trusted):
            break
    return client


# Raw SQL, one round trip: every API call and webhook runs it (the ORM's query
# compilation was a measurable share of the bounce webhook's time). The
# throttle row of the (account, address) pair comes along: a locked-out pair
# gets 429 even with the right token.
API_USER_SQL = (
    "SELECT u.id, u.name, u.token_hash, u.last_used_at, t.attempts, t.window_ends"
    " FROM (SELECT 1 AS one) AS o"
    " LEFT JOIN api_users u ON u.name = %s AND u.revoked_at IS NULL"
    " LEFT JOIN auth_throttle t ON t.key = %s"
    " LIMIT 1"
)


# A right token is remembered for TOKEN_CACHE_SECONDS in this process, so a
# script posting bounces pays no authentication query per request (issue 19).
# Revoking an API user forgets every remembered token at once in the process
# that revokes, and in the other web processes within these seconds.
TOKEN_CACHE_SECONDS = 5.0
TOKEN_CACHE_SIZE = 1000
_verified: dict[tuple[str, str], tuple[float, ApiUser]] = {}


def forget_verified_tokens() -> None:
    _verified.clear()


def check_api_user(
    name: str, token: str, address: str | Callable[[], str] = ""
) -> ApiUser | None:
    """The API user `name` when `token` is its token; raises TooManyFailures when
    the (name, address) pair is locked out (lockout.retry_after). `address` may
    be a function giving it: a remembered token needs no address (issue 19)."""
    key = (name, hash_token(token))
    hit = _verified.get(key)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    if callable(address):
        address = address()
    user = _check_api_user(name, token, address)
    if user is not None:
        if len(_verified) >= TOKEN_CACHE_SIZE:
            _verified.clear()
        _verified[key] = (time.monotonic() + TOKEN_CACHE_SECONDS, user)
    return user


def _check_api_user(name: str, token: str, address: str) -> ApiUser | None:
    with connection.cursor() as cursor:
        cursor.execute(API_USER_SQL, [name, lockout.throttle_key(name, address)])
        row = cursor.fetchone()
    user_id, user_name, token_hash, last_used_at, attempts, window_ends = row
    wait = lockout.retry_after(attempts, window_ends)
    if wait:
        raise TooManyFailures(wait)
    if user_id is None:
        return None
    user = ApiUser(
        id=user_id, name=user_name, token_hash=token_hash, last_used_at=last_used_at
    )
    if isinstance(last_used_at, str):  # SQLite: naive UTC, as text or datetime
        last_used_at = parse_datetime(last_used_at)
    if last_used_at is not None and last_used_at.tzinfo is None:
        user.last_used_at = last_used_at.replace(tzinfo=UTC)
    if not user.token_matches(token):
        return None
    now = timezone.now()
    # Writing on every request would cost a write per call; a minute is precise enough.
    if user.last_used_at is None or now - user.last_used_at > timedelta(minutes=1):
        ApiUser.objects.filter(pk=user.pk).update(last_used_at=now)
    return user


def _split_credentials(raw: str) -> tuple[str, str] | None:
    name, sep, secret = raw.partition(":")
    if not sep or not name or not secret:
        return None
    return name, secret


def header_credentials(header: str) -> tuple[str, tuple[str, str] | None]:
    """An Authorization header's scheme (lowercased) and (name, secret), if any."""
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        return scheme, _split_credentials(decoded)
    if scheme == "token":
        return scheme, _split_credentials(value.strip())
    return scheme, None


def api_user_from_header(request) -> ApiUser | None:
    """The API user whose right token the request's Authorization header
    carries, else None (no writes; a locked-out pair is None too): the lean
    webhook path's check, which leaves every other case to the DRF view."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    _, creds = header_credentials(header)
    if not creds:
        return None
    try:
        return check_api_user(*creds, partial(client_address, request))
    except TooManyFailures:
        return None


class ListmonkAuthentication(BaseAuthentication):
    def authenticate(self, request: Request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return self._session(request)
        address = client_address(request)
        scheme, creds = header_credentials(header)
        # An API token (32 random bytes) cannot be guessed, so checking one
        # first costs an attacker nothing, and a right one writes nothing: a
        # script posting bounces pays one query. A wrong one is counted
        # before anything guessable (an admin's password) is checked, so
        # parallel attempts cannot overtake the limit.
        if creds:
            user = check_api_user(*creds, address)
            if user is not None:
                return (user, None)
        attempt = lockout.count_attempt(creds[0] if creds else "", address)
        if not attempt.allowed:
            raise TooManyFailures(attempt.retry_after)
        if scheme not in ("basic", "token"):
            raise exceptions.AuthenticationFailed(
                "unsupported Authorization scheme (use Basic or token)"
            )
        user = self._admin(request, *creds) if creds and scheme == "basic" else None
        if user is None:
            log.info("API authentication failed from %s", address)
            raise exceptions.AuthenticationFailed("invalid API credentials")
        lockout.succeeded(attempt)
        return (user, None)

    def _admin(self, request: Request, username: str, password: str):
        user = authenticate(request._request, username=username, password=password)
        if user is not None and user.is_active:
            return user
        return None

    def _session(self, request: Request):
        user = getattr(request._request, "user", None)
        if not user or not user.is_authenticated:
            return None
        check = CSRFCheck(lambda req: None)
        check.process_request(request)
        reason = check.process_view(request, None, (), {})
        if reason:
            # DRF's CSRFCheck returns the reason as a string, not a response.
            raise exceptions.PermissionDenied(f"CSRF failed: {reason}")
        return (user, None)

    def authenticate_header(self, request: Request) -> str:
        return 'Basic realm="stmails"'
