from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _local_cache(settings):
    """Auth failures are counted in the cache: a private, empty one per test."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    cache.clear()


@pytest.fixture
def outbound_keys():
    """A URL stmails sends to and its bound signing secret, declared as an app
    would (no app declares such a pair since alerts.webhook_url became an event
    webhook): the mechanisms stay tested for the next one."""
    from stmails.config import REGISTRY, WHOLE_VALUE, Key, as_str, as_url, register

    keys = [
        Key("test.hook_url", "", as_url, outbound_url=True),
        Key(
            "test.hook_secret",
            "",
            as_str(200),
            secret=WHOLE_VALUE,
            bound_to=("test.hook_url",),
        ),
    ]
    for key in keys:
        register(key)
    yield
    for key in keys:
        REGISTRY.pop(key.name)
