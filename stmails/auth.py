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
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, CSRFCheck
from rest_framework.request import Request

from stmails import lockout
from stmails.models import ApiUser

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


# Raw SQL: every API call and webhook runs it, and the ORM's query compilation
# was a measurable share of the bounce webhook's time.
API_USER_SQL = (
    "SELECT id, name, token_hash, last_used_at FROM api_users"
    " WHERE name = %s AND revoked_at IS NULL LIMIT 1"
)


def check_api_user(name: str, token: str) -> ApiUser | None:
    user = next(iter(ApiUser.objects.raw(API_USER_SQL, [name])), None)
    if user is None or not user.token_matches(token):
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


class ListmonkAuthentication(BaseAuthentication):
    def authenticate(self, request: Request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return self._session(request)
        address = client_address(request)
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        creds = None
        if scheme == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            creds = _split_credentials(decoded)
        elif scheme == "token":
            creds = _split_credentials(value.strip())
        # Counted before checking, so parallel attempts cannot overtake the limit.
        attempt = lockout.count_attempt(creds[0] if creds else "", address)
        if not attempt.allowed:
            raise TooManyFailures(attempt.retry_after)
        if scheme not in ("basic", "token"):
            raise exceptions.AuthenticationFailed(
                "unsupported Authorization scheme (use Basic or token)"
            )
        user = None
        if creds and scheme == "basic":
            user = check_api_user(*creds) or self._admin(request, *creds)
        elif creds:
            user = check_api_user(*creds)
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
