"""Fixtures of the subscribers tests (the subscription flow's lists and cache)."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def double_list(make_list):
    return make_list("Weekly", type="public", optin="double")


@pytest.fixture
def single_list(make_list):
    return make_list("Announcements", type="public", optin="single")


@pytest.fixture
def private_double(make_list):
    return make_list("Insiders", type="private", optin="double")
