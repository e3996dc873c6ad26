"""Settings → Self-test and the header round trip page."""

from __future__ import annotations

import pytest
from django.test import Client

from monitoring.models import ProbeRun
from stmails import config
from stmails.models import SettingsChange
from tests.bounces.mailboxes.helpers import configure

pytestmark = pytest.mark.django_db

BOX = {"name": "probe box", "type": "pop", "host": "127.0.0.1", "port": 110,
       "username": "probe", "password": "pw", "tls_type": "none",
       "enabled": False}  # fmt: skip


def form_data(**kw) -> dict:
    data = {
        "probe__enabled": "on",
        "probe__interval_hours": "6",
        "probe__address": "probe@example.test",
        "probe__mailbox": "",
        "probe__wait_minutes": "15",
    }
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def test_it_needs_a_login(alice):
    for url in ("/settings/probe", "/deliverability/round-trip"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response.url.startswith("/login")


def test_it_shows_the_settings_with_a_mailbox_choice(client_alice):
    [box] = configure(BOX)

    response = client_alice.get("/settings/probe")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/settings/probe"' in html and ">Self-test</a>" in html
    assert f'<option value="{box["uuid"]}">probe box (not scanned)</option>' in html
    assert 'id="probe-run-now"' in html
    assert "No run yet." in html


def test_it_saves_the_settings(client_alice, alice):
    [box] = configure(BOX)

    response = client_alice.post(
        "/settings/probe", form_data(probe__mailbox=box["uuid"])
    )

    assert response.status_code == 302
    assert config.get_values("probe.enabled", "probe.address", "probe.mailbox") == {
        "probe.enabled": True,
        "probe.address": "probe@example.test",
        "probe.mailbox": box["uuid"],
    }
    change = SettingsChange.objects.get(key="probe.enabled")
    assert change.actor == SettingsChange.actor_for(alice)


def test_it_puts_errors_beside_their_fields(client_alice):
    response = client_alice.post("/settings/probe", form_data(probe__address=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_probe__address-error">required to run the self-test' in html
    assert 'id="id_probe__mailbox-error">required to run the self-test' in html

    response = client_alice.post(
        "/settings/probe", form_data(probe__enabled=None, probe__address="nope")
    )
    assert response.status_code == 400
    assert 'id="id_probe__address-error">must be an email address' in (
        response.content.decode()
    )
    assert config.get_value("probe.address") == ""


def test_it_runs_now_and_lists_the_steps(client_alice):
    response = client_alice.post("/settings/probe/run", follow=True)

    run = ProbeRun.objects.get()
    assert (run.status, run.failed_step) == ("failed", "configuration")
    html = response.content.decode()
    assert "Self-test failed at configuration: no probe address" in html
    assert f'id="probe-run-{run.pk}"' in html
    assert 'data-step="configuration"' in html


def test_it_starts_a_round_trip_and_refreshes_while_it_runs(client_alice):
    [box] = configure(BOX)

    response = client_alice.post(
        "/deliverability/round-trip",
        {"mailbox": box["uuid"], "address": "probe@example.test"},
    )
    assert response.status_code == 302
    run = ProbeRun.objects.get(kind="round_trip")
    assert (run.status, run.address) == ("running", "probe@example.test")

    html = client_alice.get("/deliverability/round-trip").content.decode()
    assert '<meta http-equiv="refresh" content="15">' in html
    assert "waiting for: mail sent" in html


def test_the_round_trip_lives_under_deliverability(client_alice):
    response = client_alice.get("/deliverability/round-trip")

    assert response.status_code == 200
    html = response.content.decode()
    # The top nav says Deliverability and the section's tabs hold the page;
    # the Settings tabs (where Self-test would light up) are not there.
    assert '<a href="/deliverability" class="active">Deliverability</a>' in html
    assert 'href="/deliverability/round-trip" class="active" aria-current="page"' in (
        html
    )
    assert ">Self-test</a>" not in html
    # Self-test links to this one address (the DNS check page too:
    # tests/monitoring/deliverability/test_view.py).
    settings_page = client_alice.get("/settings/probe").content.decode()
    assert 'href="/deliverability/round-trip"' in settings_page


@pytest.mark.parametrize("old", ["/settings/probe/round-trip", "/settings/round-trip"])
def test_the_settings_addresses_of_the_round_trip_redirect_to_it(client_alice, old):
    response = client_alice.get(old)

    assert response.status_code == 301
    assert response["Location"] == "/deliverability/round-trip"


def test_it_rejects_a_bad_round_trip(client_alice):
    [box] = configure(BOX)

    response = client_alice.post(
        "/deliverability/round-trip", {"mailbox": box["uuid"], "address": "x@"}
    )
    assert response.status_code == 400
    assert 'id="id_address-error">enter the email address of that mailbox' in (
        response.content.decode()
    )
    response = client_alice.post(
        "/deliverability/round-trip",
        {"mailbox": "00000000-0000-4000-8000-00000000dead", "address": "a@b.test"},
    )
    assert response.status_code == 400
    assert 'id="id_mailbox-error"' in response.content.decode()
    assert not ProbeRun.objects.exists()


def test_it_takes_the_probe_keys_through_the_settings_api(api_client):
    response = api_client.put(
        "/api/settings",
        {"probe.interval_hours": 0},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": "probe.interval_hours: must be between 1 and 168"
    }

    response = api_client.put(
        "/api/settings",
        {"probe.enabled": True, "probe.address": "probe@example.test"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert api_client.get("/api/settings").json()["data"]["probe.address"] == (
        "probe@example.test"
    )
