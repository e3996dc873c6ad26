"""Misses of every source land in one place: Bounces -> Unmatched, with reason and payload."""

from __future__ import annotations

import json

import pytest
from django.utils.datastructures import CaseInsensitiveMapping

from bounces.models import Bounce, UnmatchedBounce
from bounces.recording import record_bounces
from bounces.services import NewBounce
from stmails.config import update_settings
from webhooks import services as webhook_services
from webhooks.models import WebhookEvent
from webhooks.providers.base import ProviderEvent


@pytest.fixture
def enabled(db):
    update_settings({"bounce.enabled": True, "bounce.webhooks_enabled": True})


def test_an_api_bounce_for_nobody_answers_404_and_is_listed(
    enabled, api_client, client_alice
):
    body = {"email": "nobody@mail.com", "source": "my_script", "type": "hard"}
    r = api_client.post(
        "/webhooks/bounce", json.dumps(body), content_type="application/json"
    )

    assert r.status_code == 404
    entry = UnmatchedBounce.objects.get()
    assert (entry.reason, entry.email, entry.source, entry.origin) == (
        "not_subscriber",
        "nobody@mail.com",
        "my_script",
        "api",
    )
    assert entry.payload == body
    page = client_alice.get("/bounces/unmatched").content.decode()
    assert "my_script" in page and "nobody@mail.com" in page
    download = client_alice.get(f"/bounces/unmatched/{entry.pk}/payload")
    assert download["Content-Type"] == "application/json"
    assert json.loads(download.content) == body


def test_a_provider_miss_is_listed_once_with_its_payload(enabled, client_alice):
    headers = CaseInsensitiveMapping({"User-Agent": "pm"})
    miss = ProviderEvent(
        email="stranger@example.org",
        type="hard",
        event_key="k1",
        message_id="m1",
        raw={"RecordType": "Bounce", "Email": "stranger@example.org"},
    )
    (event_id,) = webhook_services.store_events("postmark", [miss], headers).new_ids

    assert webhook_services.process_event(event_id) == "ignored"
    # The re-run button on the same event adds no second entry.
    assert webhook_services.rerun_event(event_id) == "ignored"

    entry = UnmatchedBounce.objects.get()
    assert (entry.reason, entry.source, entry.origin, entry.type) == (
        "not_subscriber",
        "postmark",
        "provider",
        "hard",
    )
    assert entry.payload == miss.raw
    assert entry.event_key == "postmark:k1"
    assert WebhookEvent.objects.get().status == "ignored"
    page = client_alice.get("/bounces/unmatched").content.decode()
    assert "postmark" in page and "stranger@example.org" in page


def test_one_batch_records_the_matched_and_lists_the_rest(enabled, make_subscriber):
    known = make_subscriber("known@example.com")
    items = [
        NewBounce(type="soft", source="sendgrid", email=known.email, event_key="s:1"),
        NewBounce(
            type="soft",
            source="sendgrid",
            email="other@example.com",
            event_key="s:2",
            origin="provider",
        ),
    ]

    results = record_bounces(items)

    assert results[0].created and results[0].via == "recipient"
    assert results[1].error is not None and results[1].error.status == 404
    assert Bounce.objects.get().subscriber_id == known.id
    assert UnmatchedBounce.objects.get().email == "other@example.com"
    # The same batch again (a retry): nothing new anywhere.
    again = record_bounces(items)
    assert not again[0].created and again[0].bounce_id == results[0].bounce_id
    assert (Bounce.objects.count(), UnmatchedBounce.objects.count()) == (1, 1)
