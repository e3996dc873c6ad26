"""Failed-authentication lockout per account and client address.

Each attempt is counted *before* the credentials are checked, with one atomic
UPSERT ... RETURNING on the auth_throttle table, so however many attempts run
at once (several web processes, PostgreSQL or SQLite) exactly `limit` of them
get their credentials checked per window; the others get 429 with
Retry-After. A successful attempt gives its count back, so scripts that
authenticate on every request never lock themselves out.

Keyed on account + address: a brute force against one account from one
address locks out only that pair, not every admin and API script behind the
same reverse proxy (see stmails.auth.client_address for the proxy setting).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

# The key and both window comparisons use the parameters; the CASE reads the
# row as it was before this statement.
_COUNT_SQL = """
INSERT INTO auth_throttle (key, attempts, window_ends) VALUES (%s, 1, %s)
ON CONFLICT (key) DO UPDATE SET
    attempts = CASE WHEN auth_throttle.window_ends <= %s THEN 1
                    ELSE auth_throttle.attempts + 1 END,
    window_ends = CASE WHEN auth_throttle.window_ends <= %s THEN excluded.window_ends
                       ELSE auth_throttle.window_ends END
RETURNING attempts, window_ends
"""
_GIVE_BACK_SQL = (
    "UPDATE auth_throttle SET attempts = attempts - 1"
    " WHERE key = %s AND window_ends = %s AND attempts > 0"
)
_PRUNE_SQL = "DELETE FROM auth_throttle WHERE window_ends <= %s"


@dataclass(frozen=True)
class Attempt:
    """One counted attempt: `allowed` to check credentials, else wait `retry_after` s."""

    key: str
    window_ends: int
    allowed: bool
    retry_after: int


def throttle_key(account: str, address: str) -> str:
    text = f"{account.strip().lower()[:320]}\0{address}"
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def count_attempt(account: str, address: str, now: float | None = None) -> Attempt:
    """Count one authentication attempt; past the limit it is not allowed."""
    now = time.time() if now is None else now
    window = settings.STMAILS_AUTH_FAILURE_WINDOW
    key = throttle_key(account, address)
    proposed = math.ceil(now) + window
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_SQL, [key, proposed, now, now])
        attempts, window_ends = cursor.fetchone()
        if window_ends == proposed and attempts == 1:
            # A new window for this key: a cheap moment to drop expired rows.
            cursor.execute(_PRUNE_SQL, [now])
    allowed = attempts <= settings.STMAILS_AUTH_FAILURE_LIMIT
    # The window's end is rounded up to a whole second: never say more than it.
    retry_after = 0 if allowed else min(window, max(1, math.ceil(window_ends - now)))
    return Attempt(key, int(window_ends), allowed, retry_after)


def retry_after(
    attempts: int | None, window_ends: float | None, now: float | None = None
) -> int:
    """Seconds a pair with this throttle row must wait (0: it may try now).

    For a read of the row without counting (stmails.auth checks an API token
    first): the next attempt would be number attempts + 1.
    """
    now = time.time() if now is None else now
    if attempts is None or window_ends is None or window_ends <= now:
        return 0
    if attempts < settings.STMAILS_AUTH_FAILURE_LIMIT:
        return 0
    window = settings.STMAILS_AUTH_FAILURE_WINDOW
    return min(window, max(1, math.ceil(window_ends - now)))


def succeeded(attempt: Attempt) -> None:
    """The credentials were right: this attempt does not count as a failure."""
    with connection.cursor() as cursor:
        cursor.execute(_GIVE_BACK_SQL, [attempt.key, attempt.window_ends])
