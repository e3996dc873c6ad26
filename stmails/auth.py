"""API authentication, as listmonk's: basic auth or `Authorization: token name:token`.

Accepted on every /api/* endpoint and /webhooks/bounce:
- HTTP basic auth with an API user's name and access token;
- `Authorization: token <api_username>:<access_token>`;
- HTTP basic auth with an admin's own username and password;
- a logged-in admin session (with CSRF).
Failures are counted per client address; past the limit every attempt from that
address gets 429 until the window passes.
"""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, CSRFCheck
from rest_framework.request import Request

from stmails.models import ApiUser

log = logging.getLogger(__name__)


class TooManyFailures(exceptions.APIException):
    status_code = 429
    default_detail = "too many failed authentication attempts; try again later"


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _failure_key(address: str) -> str:
    return f"authfail:{address}"


def failures_exceeded(address: str) -> bool:
    return (
        cache.get(_failure_key(address)) or 0
    ) >= settings.STMAILS_AUTH_FAILURE_LIMIT


def record_failure(address: str) -> None:
    key = _failure_key(address)
    if cache.add(key, 1, timeout=settings.STMAILS_AUTH_FAILURE_WINDOW):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=settings.STMAILS_AUTH_FAILURE_WINDOW)


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
        address = client_address(request)
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return self._session(request)
        if failures_exceeded(address):
            raise TooManyFailures()
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        user = None
        if scheme == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            creds = _split_credentials(decoded)
            if creds:
                user = check_api_user(*creds) or self._admin(request, *creds)
        elif scheme == "token":
            creds = _split_credentials(value.strip())
            if creds:
                user = check_api_user(*creds)
        else:
            record_failure(address)
            raise exceptions.AuthenticationFailed(
                "unsupported Authorization scheme (use Basic or token)"
            )
        if user is None:
            record_failure(address)
            log.info("API authentication failed from %s", address)
            raise exceptions.AuthenticationFailed("invalid API credentials")
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
