"""Settings → Event webhooks: endpoints, secrets shown once, test event, delivery log."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from standardwebhooks import Webhook

from stmails.lib import crypto
from stmails.models import EventDelivery, EventHook
from tests.stmails.event_hooks.helpers import Receiver, make_hook

# The receivers listen on 127.0.0.1, which outgoing HTTP refuses by default.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("allow_loopback_receivers"),
]
URL = "https://crm.example.com/hooks/stmails"


def form(**kw):
    data = {
        "name": "CRM",
        "url": URL,
        "events": ["bounce.recorded", "subscriber.blocklisted"],
        "enabled": "on",
    }
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def error_of(response, field: str) -> str:
    m = re.search(rf'id="id_{field}-error">([^<]*)', response.content.decode())
    return m.group(1) if m else ""


def test_it_needs_login(alice):
    r = Client().get("/settings/event-webhooks")
    assert r.status_code == 302 and "/login" in r["Location"]


def test_it_is_a_settings_tab(client_alice):
    page = client_alice.get("/settings/general").content.decode()
    assert 'href="/settings/event-webhooks"' in page
    page = client_alice.get("/settings/event-webhooks").content.decode()
    assert "No endpoint yet" in page


def test_it_adds_an_endpoint_and_shows_its_secret_once(client_alice):
    r = client_alice.post("/settings/event-webhooks/new", form())
    assert r.status_code == 200
    hook = EventHook.objects.get()
    assert (hook.name, hook.url, hook.enabled) == ("CRM", URL, True)
    assert hook.events == ["bounce.recorded", "subscriber.blocklisted"]
    page = r.content.decode()
    secret = re.search(r'class="secret-once">(whsec_[^<]+)<', page).group(1)
    # Stored encrypted, and the shown secret is the one that signs.
    assert secret not in hook.secret and hook.secret.startswith(crypto.PREFIX)
    assert hook.signing_secrets(hook.created_at) == [secret]
    Webhook(secret)  # the reference library takes it as is
    # Read back: masked everywhere.
    for url in ("/settings/event-webhooks", f"/settings/event-webhooks/{hook.pk}"):
        page = client_alice.get(url).content.decode()
        assert secret not in page
        assert secret[:10] + "\u2026" in page


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"name": ""}, "name", "A name is required."),
        ({"url": ""}, "url", "A URL is required."),
        (
            {"url": "ftp://crm.example.com/x"},
            "url",
            "Enter an http:// or https:// URL.",
        ),
        ({"url": "https://"}, "url", "Enter a URL with a host name, no spaces."),
        ({"url": "http://crm:port/x"}, "url", "The port is not a number."),
        ({"events": None}, "events", "Choose at least one event."),
        ({"events": ["nope"]}, "events", "Select a valid choice."),
    ],
)
def test_it_shows_form_errors_beside_the_field(client_alice, changes, field, error):
    r = client_alice.post("/settings/event-webhooks/new", form(**changes))
    assert r.status_code == 400
    assert error in error_of(r, field)
    assert not EventHook.objects.exists()


def test_it_accepts_a_one_label_host(client_alice):
    r = client_alice.post(
        "/settings/event-webhooks/new", form(url="http://receiver:8080/h")
    )
    assert r.status_code == 200
    assert EventHook.objects.get().url == "http://receiver:8080/h"


def test_it_edits_an_endpoint_and_keeps_its_secret(client_alice):
    hook, secret = make_hook(URL)
    r = client_alice.post(
        f"/settings/event-webhooks/{hook.pk}",
        form(name="CRM 2", events=["subscriber.deleted"], enabled=None),
    )
    assert r.status_code == 302 and r["Location"] == "/settings/event-webhooks"
    hook.refresh_from_db()
    assert (hook.name, hook.events, hook.enabled) == (
        "CRM 2",
        ["subscriber.deleted"],
        False,
    )
    assert hook.signing_secrets(hook.created_at) == [secret]
    r = client_alice.post(f"/settings/event-webhooks/{hook.pk}", form(url="nope"))
    assert r.status_code == 400 and error_of(r, "url")


def test_it_rotates_the_secret(client_alice):
    hook, old = make_hook(URL)
    r = client_alice.post(f"/settings/event-webhooks/{hook.pk}/rotate")
    new = re.search(r'class="secret-once">(whsec_[^<]+)<', r.content.decode()).group(1)
    assert new != old
    hook.refresh_from_db()
    assert hook.signing_secrets(hook.updated_at) == [new, old]


def test_it_disables_enables_and_deletes(client_alice):
    hook, _ = make_hook(URL)
    EventDelivery.objects.create(
        hook=hook, event_type="test.ping", message_id="m", payload="{}"
    )
    client_alice.post(f"/settings/event-webhooks/{hook.pk}/toggle")
    hook.refresh_from_db()
    assert not hook.enabled
    client_alice.post(f"/settings/event-webhooks/{hook.pk}/toggle")
    hook.refresh_from_db()
    assert hook.enabled
    r = client_alice.post(f"/settings/event-webhooks/{hook.pk}/delete")
    assert r.status_code == 302
    assert not EventHook.objects.exists() and not EventDelivery.objects.exists()
    assert client_alice.get(f"/settings/event-webhooks/{hook.pk}").status_code == 404


def test_it_sends_a_test_event_and_logs_it(
    client_alice, django_capture_on_commit_callbacks
):
    receiver = Receiver()
    try:
        hook, secret = make_hook(receiver.url, events=["subscriber.deleted"])
        with django_capture_on_commit_callbacks(execute=True):
            r = client_alice.post(f"/settings/event-webhooks/{hook.pk}/test")
    finally:
        receiver.stop()
    assert r.status_code == 302
    assert r["Location"] == f"/settings/event-webhooks/{hook.pk}/deliveries"
    [request] = receiver.requests
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "test.ping"
    assert payload["data"]["endpoint"] == {"id": hook.pk, "name": "CRM"}
    page = client_alice.get(r["Location"]).content.decode()
    row = EventDelivery.objects.get()
    assert row.message_id in page and "delivered" in page
    detail = client_alice.get(
        f"/settings/event-webhooks/{hook.pk}/deliveries/{row.pk}"
    ).content.decode()
    assert "test.ping" in detail and "A test event from stmails." in detail


def test_the_log_pages_filters_and_retries_failed_deliveries(client_alice):
    hook, _ = make_hook(URL)
    for i in range(55):
        EventDelivery.objects.create(
            hook=hook,
            event_type="bounce.recorded",
            message_id=f"msg_{i}",
            payload="{}",
            status="failed" if i % 2 else "delivered",
            attempts=8,
            last_error=f"HTTP 500 from crm.example.com ({i})",
            last_status_code=500,
        )
    page = client_alice.get(
        f"/settings/event-webhooks/{hook.pk}/deliveries"
    ).content.decode()
    assert "msg_54" in page and "msg_4<" not in page  # newest first, 50 a page
    assert "1 / 2" in page and "Retry all 27 failed" in page
    EventDelivery.objects.filter(message_id="msg_0").update(status="awaiting_retry")
    listing = client_alice.get("/settings/event-webhooks").content.decode()
    assert "27 failed" in listing and "1 waiting" in listing
    page = client_alice.get(
        f"/settings/event-webhooks/{hook.pk}/deliveries?status=failed"
    ).content.decode()
    assert "msg_53" in page and "msg_54" not in page
    assert "HTTP 500 from crm.example.com (53)" in page
    one = EventDelivery.objects.get(message_id="msg_53")
    r = client_alice.post(
        f"/settings/event-webhooks/{hook.pk}/deliveries/{one.pk}/retry"
    )
    assert r.status_code == 302
    one.refresh_from_db()
    assert one.status == "queued"
    client_alice.post(f"/settings/event-webhooks/{hook.pk}/deliveries/retry-failed")
    assert not EventDelivery.objects.filter(status="failed").exists()


def test_a_disabled_endpoint_gets_no_test_event(client_alice):
    hook, _ = make_hook(URL, enabled=False)
    r = client_alice.post(f"/settings/event-webhooks/{hook.pk}/test", follow=True)
    assert "Enable CRM to send it a test event." in r.content.decode()
    assert not EventDelivery.objects.exists()


def test_a_delivery_of_another_endpoint_is_not_found(client_alice):
    one, _ = make_hook(URL, name="One")
    two, _ = make_hook(URL, name="Two")
    row = EventDelivery.objects.create(
        hook=one, event_type="x", message_id="m", payload="{}"
    )
    assert (
        client_alice.get(
            f"/settings/event-webhooks/{two.pk}/deliveries/{row.pk}"
        ).status_code
        == 404
    )
    r = client_alice.post(
        f"/settings/event-webhooks/{two.pk}/deliveries/{row.pk}/retry"
    )
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("event", "shown"),
    [
        ("subscriber.deleted", {"subscriber.deleted"}),
        ("subscriber.*", {"subscriber.deleted", "subscriber.blocklisted"}),
        ("alert.*", {"alert.opened", "alert.recovered"}),
        ("bounce.*", None),  # one type: no family, like an unknown value
        ("nonsense", None),
    ],
)
def test_the_log_filters_by_event_type_or_family(client_alice, event, shown):
    hook, _ = make_hook(URL)
    types = [
        "bounce.recorded",
        "subscriber.deleted",
        "subscriber.blocklisted",
        "alert.opened",
        "alert.recovered",
    ]
    EventDelivery.objects.bulk_create(
        EventDelivery(hook=hook, event_type=t, message_id=f"msg_{t}", payload="{}")
        for t in types
    )
    page = client_alice.get(
        f"/settings/event-webhooks/{hook.pk}/deliveries", {"event": event}
    ).content.decode()
    table = page.split('id="deliveries"', 1)[1]
    assert {t for t in types if f"msg_{t}<" in table} == (shown or set(types))
    # The select keeps the filter, and only one it knows.
    assert (f'value="{event}" selected' in page) == (shown is not None)
