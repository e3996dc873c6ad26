"""Bounce fixtures: settings switched on through the real settings service."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from bounces.settings_keys import DEFAULT_ACTIONS
from stmails.config import update_settings


def set_actions(**rules: dict) -> None:
    """set_actions(hard={"count": 2, "action": "delete"}): other types keep their defaults."""
    actions = {btype: dict(rule) for btype, rule in DEFAULT_ACTIONS.items()}
    for btype, rule in rules.items():
        actions[btype].update(rule)
    update_settings({"bounce.actions": actions})


@pytest.fixture(autouse=True)
def _local_cache(settings):
    """Auth failures are counted in the cache: a private, empty one per test."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    cache.clear()


@pytest.fixture
def bounces_on(db):
    """Bounce processing and bounce webhooks enabled, default actions."""
    update_settings({"bounce.enabled": True, "bounce.webhooks_enabled": True})
    return set_actions


@pytest.fixture
def make_bounce(db):
    """A stored bounce, without thresholds (for listing and export tests)."""
    from bounces.models import Bounce

    def make(subscriber, **kw):
        kw.setdefault("type", "hard")
        kw.setdefault("source", "api")
        kw.setdefault("email", subscriber.email)
        return Bounce.objects.create(subscriber=subscriber, **kw)

    return make
