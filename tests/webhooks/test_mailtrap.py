"""Mailtrap: samples (batches of events) and the Mailtrap-Signature HMAC."""

from __future__ import annotations

import json

import pytest

from bounces.models import Bounce
from tests.webhooks.conftest import expected, outcome, sample, samples
from tests.webhooks.provider_requests import enable, post
from webhooks.models import WebhookEvent
from webhooks.providers.base import VerificationError
from webhooks.providers.mailtrap import Mailtrap
from webhooks.providers.verification import hmac_sha256_hex

SECRET = "mailtrap-test-secret"


@pytest.mark.parametrize("name", samples("mailtrap"))
def test_it_gives_each_sample_its_expected_outcome(name):
    assert outcome(Mailtrap().parse(sample("mailtrap", name), {})) == expected(
        "mailtrap", name
    )


def test_it_verifies_the_body_hmac_with_either_secret():
    body = sample("mailtrap", "bounce_hard_anymail")
    headers = {"Mailtrap-Signature": hmac_sha256_hex(SECRET, body)}
    Mailtrap().verify(body, headers, {}, {"secret": SECRET})
    Mailtrap().verify(body, headers, {}, {"secret": "next", "previous_secret": SECRET})
    with pytest.raises(VerificationError):
        Mailtrap().verify(body, headers, {}, {"secret": "other"})
    with pytest.raises(VerificationError):
        Mailtrap().verify(body, {}, {}, {"secret": SECRET})


def test_it_reads_every_event_of_a_batch():
    events = [
        json.loads(sample("mailtrap", n))["events"][0]
        for n in ("bounce_hard_anymail", "spam_anymail", "suspension_ignored_anymail")
    ]
    for i, e in enumerate(events):
        e["event_id"] = f"ev{i}"
    parsed = Mailtrap().parse(json.dumps({"events": events}).encode(), {})
    assert [e.type for e in parsed] == ["hard", "complaint", "ignored"]


def test_it_ignores_rejections():
    data = json.loads(sample("mailtrap", "suspension_ignored_anymail"))
    data["events"][0]["event"] = "reject"
    assert outcome(Mailtrap().parse(json.dumps(data).encode(), {})) == []


@pytest.mark.django_db
def test_it_records_a_signed_bounce_once(
    make_subscriber, django_capture_on_commit_callbacks
):
    make_subscriber(email="invalid@example.com")
    enable("bounce.mailtrap", secret=SECRET)
    body = sample("mailtrap", "bounce_hard_anymail")
    headers = {"Mailtrap-Signature": hmac_sha256_hex(SECRET, body)}
    with django_capture_on_commit_callbacks(execute=True):
        assert post("mailtrap", body, headers).status_code == 200
        assert post("mailtrap", body, headers).status_code == 200
    assert WebhookEvent.objects.filter(provider="mailtrap").count() == 1
    assert Bounce.objects.get().type == "hard"
