"""Settings → Bounces: shows, saves, reports field errors, re-applies thresholds."""

from __future__ import annotations

import pytest

from bounces.models import Bounce
from bounces.settings_keys import DEFAULT_ACTIONS
from stmails.config import get_values, update_settings
from subscribers.models import Subscriber

pytestmark = pytest.mark.django_db

URL = "/settings/bounces"


def form_data(**overrides) -> dict:
    data = {"enabled": "on", "webhooks_enabled": "on"}
    for btype, rule in DEFAULT_ACTIONS.items():
        for name, value in rule.items():
            data[f"{btype}_{name}"] = value
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_it_shows_the_current_settings(client_alice):
    update_settings(
        {
            "bounce.enabled": True,
            "bounce.actions": {"soft": {"count": 7, "action": "unsubscribe"}},
        }
    )
    response = client_alice.get(URL)
    assert response.status_code == 200
    form = response.context["form"]
    assert form["enabled"].value() is True
    assert form["webhooks_enabled"].value() is False
    assert form["soft_count"].value() == 7
    assert form["soft_action"].value() == "unsubscribe"
    html = response.content.decode()
    assert 'class="tabs"' in html and 'href="/settings/bounces"' in html
    assert "deletes the subscriber and all their bounces" in html


def test_it_saves(client_alice):
    response = client_alice.post(
        URL,
        form_data(
            webhooks_enabled=None,
            hard_count=3,
            hard_action="delete",
            hard_window_days=14,
        ),
    )
    assert response.status_code == 302
    values = get_values("bounce.enabled", "bounce.webhooks_enabled", "bounce.actions")
    assert values["bounce.enabled"] is True
    assert values["bounce.webhooks_enabled"] is False
    assert values["bounce.actions"]["hard"] == {
        "count": 3,
        "action": "delete",
        "window_days": 14,
    }
    assert values["bounce.actions"]["soft"] == DEFAULT_ACTIONS["soft"]
    page = client_alice.get(response["Location"]).content.decode()
    assert "Bounce settings saved." in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("soft_count", 0, "must be between 1 and 1000"),
        ("complaint_count", 1001, "must be between 1 and 1000"),
        ("hard_window_days", -1, "must be between 0 and"),
    ],
)
def test_it_shows_errors_beside_the_field(client_alice, field, value, message):
    response = client_alice.post(URL, form_data(**{field: value}))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert f'id="id_{field}-error"' in response.content.decode()
    assert get_values("bounce.enabled")["bounce.enabled"] is False  # nothing saved


def test_it_rejects_an_unknown_action(client_alice):
    response = client_alice.post(URL, form_data(soft_action="explode"))
    assert response.status_code == 400
    assert "soft_action" in response.context["form"].errors


def test_it_reapplies_thresholds(client_alice, make_subscriber, make_bounce):
    update_settings({"bounce.enabled": True})
    hit, miss, gone = make_subscriber(), make_subscriber(), make_subscriber()
    for sub in (hit, hit, miss):
        make_bounce(sub, type="hard")
    for _ in range(3):
        make_bounce(gone, type="soft")
    client_alice.post(
        URL,
        form_data(
            hard_count=2, hard_action="blocklist", soft_count=3, soft_action="delete"
        ),
    )
    response = client_alice.post(URL + "/reapply", follow=True)
    html = response.content.decode()
    hit.refresh_from_db()
    miss.refresh_from_db()
    assert hit.status == Subscriber.Status.BLOCKLISTED
    assert miss.status == Subscriber.Status.ENABLED
    assert not Subscriber.objects.filter(pk=gone.pk).exists()
    assert not Bounce.objects.filter(subscriber_id=gone.pk).exists()
    assert "2 subscriber(s) checked; 1 blocklisted, 1 deleted." in html
    assert "3 bounce(s) were deleted with the deleted subscribers." in html
    # Idempotent: a second run finds nothing more to do.
    again = client_alice.post(URL + "/reapply", follow=True).content.decode()
    assert "no action was needed" in again


def test_it_does_not_reapply_when_processing_is_off(
    client_alice, make_subscriber, make_bounce
):
    sub = make_subscriber()
    make_bounce(sub, type="hard")
    response = client_alice.post(URL + "/reapply", follow=True)
    sub.refresh_from_db()
    assert sub.status == Subscriber.Status.ENABLED
    assert "Bounce processing is disabled" in response.content.decode()


def test_it_requires_login(alice):
    from django.test import Client

    assert Client().get(URL).status_code == 302
    assert Client().post(URL + "/reapply").status_code == 302
