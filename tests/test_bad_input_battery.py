"""Issue 14 item 4: the generated bad-input battery (see tests/bad_input_battery.py)
answers no 5xx. CI runs it on PostgreSQL (DATABASE_URL), locally it runs on SQLite."""

from __future__ import annotations

import pytest

from tests.bad_input_battery import discover_routes, run_battery

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=False)]


@pytest.fixture(autouse=True)
def _local_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }


def test_the_battery_covers_every_route_and_the_fields_views_read():
    routes = {r.template: r for r in discover_routes()}
    # Spot checks that discovery sees what the views declare and read.
    assert "api/subscribers/<int:pk>" in routes and "subscription/form" in routes
    assert {"email", "name", "lists"} <= set(routes["api/subscribers"].fields)
    assert "subject" in routes["api/tx"].fields
    assert "app.site_name" in routes["api/settings"].fields
    assert len(routes) >= 100


def test_no_bad_input_makes_a_5xx(capsys):
    outcome = run_battery()
    summary = (
        f"bad-input battery: {outcome.requests} requests, "
        f"{len(outcome.server_errors)} answered 5xx"
    )
    with capsys.disabled():
        print(f"\n{summary}")
    assert outcome.requests > 5_000, summary
    assert not outcome.server_errors, (
        summary + "\n" + "\n".join(outcome.server_errors[:50])
    )
