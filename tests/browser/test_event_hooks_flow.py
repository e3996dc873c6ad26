"""A real browser: add an event webhook endpoint, copy its secret, send a test event."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook

from stmails.models import EventHook
from tests.browser.conftest import log_in
from tests.stmails.event_hooks.helpers import Receiver

# The receiver listens on 127.0.0.1, which outgoing HTTP refuses by default.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("allow_loopback_receivers"),
]


def test_it_adds_an_endpoint_and_delivers_a_signed_test_event(live_server, page, alice):
    receiver = Receiver()
    base = live_server.url
    try:
        log_in(page, base)

        page.goto(base + "/settings/event-webhooks")
        page.click("#add-endpoint")
        page.fill("#id_name", "CRM")
        page.fill("#id_url", "not a url")
        page.click("#event-hook-form button[type=submit]")
        assert page.text_content("#id_events-error") == "Choose at least one event."
        assert "http://" in page.text_content("#id_url-error")

        page.fill("#id_url", receiver.url)
        page.check("input[value='subscriber.deleted']")
        page.click("#event-hook-form button[type=submit]")
        secret = page.text_content("#new-secret .secret-once").strip()
        assert secret.startswith("whsec_")

        page.click("#secret-card button:has-text('Send test event')")
        page.wait_for_selector("#deliveries .badge.status-delivered")
        hook = EventHook.objects.get()
        assert hook.events == ["subscriber.deleted"]
        page.goto(base + "/settings/event-webhooks")
        assert secret not in page.content()
    finally:
        receiver.stop()
    [request] = receiver.requests
    assert Webhook(secret).verify(request.body, request.headers)["type"] == "test.ping"
