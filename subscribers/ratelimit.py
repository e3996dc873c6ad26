"""Fixed-window counters in the Django cache for the public subscription endpoints.

No third-party service: the cache is Redis in production (shared by every web
process) and a file or memory cache on a single host. Keys hold a hash, never
the address itself.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

# (attempts, seconds): a person subscribing makes one or two attempts; an
# address gets at most a few confirmation mails an hour, however many people
# type it in.
PER_IP = (20, 600)
PER_ADDRESS = (3, 3600)


def _key(scope: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{digest}"


def hit(scope: str, value: str, limit: tuple[int, int]) -> bool:
    """Count one attempt; False once more than `limit` fall in the window."""
    attempts, window = limit
    key = _key(scope, value)
    if cache.add(key, 1, timeout=window):
        return True
    try:
        count = cache.incr(key)
    except ValueError:
        # The key expired between add and incr: a new window starts.
        cache.set(key, 1, timeout=window)
        return True
    return count <= attempts


def allow_ip(ip: str) -> bool:
    return hit("subscribe-ip", ip or "unknown", PER_IP)


def allow_address(email: str) -> bool:
    return hit("subscribe-address", email, PER_ADDRESS)
