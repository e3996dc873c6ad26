"""SendGrid: the published ECDSA vector, classification, batches."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.utils.datastructures import CaseInsensitiveMapping

from stmails.config import SettingsError, update_settings
from webhooks.models import WebhookEvent
from webhooks.providers import sendgrid
from webhooks.providers.base import VerificationError

from .conftest import (
    as_expected,
    expected,
    outcome,
    sample,
    samples,
    sendgrid_headers,
    vector,
)

NAME = "signed_dropped_vector"


def vector_headers(**changes) -> CaseInsensitiveMapping:
    return CaseInsensitiveMapping({**vector("sendgrid", NAME)["headers"], **changes})


@pytest.fixture
def vector_clock(monkeypatch):
    monkeypatch.setattr(
        sendgrid, "now", lambda: datetime(2020, 9, 14, 19, 45, tzinfo=UTC)
    )


@pytest.mark.parametrize("name", samples("sendgrid"))
def test_it_parses_each_sample_as_expected(name):
    events = sendgrid.SendGrid().parse(
        sample("sendgrid", name), CaseInsensitiveMapping({})
    )
    assert outcome(events) == as_expected(expected("sendgrid", name))


def test_it_verifies_the_published_vector(vector_clock):
    vec = vector("sendgrid", NAME)
    body = sample("sendgrid", NAME)
    assert body == vec["body_exact"].encode()
    config = {"key": vec["public_key_b64_der_spki"]}
    sendgrid.SendGrid().verify(body, vector_headers(), {}, config)


@pytest.mark.parametrize(
    "case", ["wrong_key_b64", "wrong_signature", "wrong_timestamp", "wrong_body"]
)
def test_it_refuses_the_published_negative_cases(vector_clock, case):
    vec = vector("sendgrid", NAME)
    bad = vec["negative_cases"][case]
    body, key, headers = (
        sample("sendgrid", NAME),
        vec["public_key_b64_der_spki"],
        vector_headers(),
    )
    if case == "wrong_key_b64":
        key = bad
    elif case == "wrong_signature":
        headers = vector_headers(**{sendgrid.SIGNATURE_HEADER: bad})
    elif case == "wrong_timestamp":
        headers = vector_headers(**{sendgrid.TIMESTAMP_HEADER: bad})
    else:
        body = bad.encode()
    with pytest.raises(VerificationError):
        sendgrid.SendGrid().verify(body, headers, {}, {"key": key})


def test_it_accepts_the_previous_key_while_rotating(vector_clock):
    vec = vector("sendgrid", NAME)
    config = {
        "key": vec["negative_cases"]["wrong_key_b64"],
        "previous_key": vec["public_key_b64_der_spki"],
    }
    sendgrid.SendGrid().verify(sample("sendgrid", NAME), vector_headers(), {}, config)


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"event": "bounce", "type": "bounce"}, "hard"),
        ({"event": "bounce", "type": "blocked"}, "soft"),
        (
            {
                "event": "bounce",
                "type": "blocked",
                "bounce_classification": "Invalid Address",
            },
            "hard",
        ),
        (
            {
                "event": "bounce",
                "type": "bounce",
                "bounce_classification": "reputation",
            },
            "soft",
        ),
        (
            {
                "event": "bounce",
                "type": "bounce",
                "bounce_classification": "Unclassified",
            },
            "hard",
        ),
        ({"event": "spamreport"}, "complaint"),
        ({"event": "dropped", "reason": "Bounced Address"}, "ignored"),
        ({"event": "deferred"}, "ignored"),
        ({"event": "open"}, "ignored"),
    ],
)
def test_it_classifies_by_the_spec(fields, kind):
    assert sendgrid.classify(fields) == kind


def test_it_refuses_a_key_that_is_not_p256(db):
    with pytest.raises(SettingsError, match="bounce.sendgrid_key"):
        update_settings({"bounce.sendgrid_key": "bm90IGEga2V5"})


def test_it_stores_a_batch_with_campaign_links(client, sendgrid_on, make_subscriber):
    campaign = "9f86b50d-5711-41c8-ab03-bc91c43d711b"
    batch = [
        {
            "email": f"u{i}@example.com",
            "event": "bounce",
            "type": "bounce",
            "sg_event_id": f"ev{i}",
            "sg_message_id": f"m{i}.filter",
            "timestamp": 1700000000,
            "X-Stmails-Campaign": campaign,
        }
        for i in range(3)
    ] + [{"email": "d@example.com", "event": "delivered", "sg_event_id": "ev-d"}]
    body = json.dumps(batch).encode()
    response = client.post(
        "/webhooks/service/sendgrid",
        data=body,
        content_type="application/json",
        **sendgrid_headers(body),
    )
    assert response.status_code == 200
    assert response.json()["stored"] == 4
    events = WebhookEvent.objects.order_by("id")
    assert [e.status for e in events] == ["received"] * 3 + ["ignored"]
    assert {e.campaign_uuid for e in events[:3]} == {campaign}
