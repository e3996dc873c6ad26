"""Mailgun: samples, the signature vector, the timestamp window and token reuse."""

from __future__ import annotations

import json
import secrets
import time

import pytest

from bounces.models import Bounce
from tests.webhooks.conftest import expected, outcome, sample, samples, vector
from tests.webhooks.provider_requests import enable, post
from webhooks.models import WebhookEvent
from webhooks.providers.base import VerificationError
from webhooks.providers.mailgun import Mailgun, signature_ok
from webhooks.providers.verification import hmac_sha256_hex

KEY = "TEST_WEBHOOK_SIGNING_KEY"


def signed(
    name: str, *, key: str = KEY, timestamp: int | None = None, token: str | None = None
) -> bytes:
    data = json.loads(sample("mailgun", name))
    ts = str(int(time.time()) if timestamp is None else timestamp)
    token = token or secrets.token_hex(25)
    data["signature"] = {
        "timestamp": ts,
        "token": token,
        "signature": hmac_sha256_hex(key, f"{ts}{token}".encode()),
    }
    return json.dumps(data).encode()


@pytest.mark.parametrize("name", samples("mailgun"))
def test_it_gives_each_sample_its_expected_outcome(name):
    events = Mailgun().parse(sample("mailgun", name), {})
    assert outcome(events) == expected("mailgun", name)


@pytest.mark.parametrize("name", samples("mailgun"))
def test_it_verifies_the_samples_signatures(name):
    block = json.loads(sample("mailgun", name))["signature"]
    key = vector("mailgun", "failed_permanent_anymail")["webhook_signing_key"]
    assert signature_ok(key, block["timestamp"], block["token"], block["signature"])
    assert not signature_ok(
        "other-key", block["timestamp"], block["token"], block["signature"]
    )


def test_it_refuses_the_samples_old_timestamps():
    config = {"enabled": True, "signing_key": KEY}
    with pytest.raises(VerificationError) as err:
        Mailgun().verify(sample("mailgun", "failed_permanent_anymail"), {}, {}, config)
    assert err.value.status == 406
    assert "window" in err.value.message


def test_it_accepts_the_previous_key_while_rotating():
    config = {"enabled": True, "signing_key": "new-key", "previous_signing_key": KEY}
    Mailgun().verify(signed("failed_permanent_anymail"), {}, {}, config)
    with pytest.raises(VerificationError):
        Mailgun().verify(
            signed("failed_permanent_anymail", key="stale"), {}, {}, config
        )


def test_it_refuses_a_token_reused_with_another_body():
    config = {"enabled": True, "signing_key": KEY}
    first = signed("failed_permanent_anymail", token="t" * 50)
    Mailgun().verify(first, {}, {}, config)
    # The very same request again is a retry: accepted (the inbox deduplicates it).
    Mailgun().verify(first, {}, {}, config)
    replay = json.loads(first)
    replay["event-data"]["recipient"] = "victim@example.com"
    with pytest.raises(VerificationError) as err:
        Mailgun().verify(json.dumps(replay).encode(), {}, {}, config)
    assert err.value.message == "token already used"


def test_it_ignores_mailguns_own_suppressions():
    data = json.loads(sample("mailgun", "failed_permanent_anymail"))
    data["event-data"]["reason"] = "suppress-bounce"
    assert outcome(Mailgun().parse(json.dumps(data).encode(), {})) == []


def test_it_reads_complaints_and_the_campaign_variable():
    campaign = "5bd0a3f4-5d8a-4c1e-9a5e-3c1b0f7d2a11"
    body = {
        "event-data": {
            "event": "complained",
            "id": "abc",
            "timestamp": 1534110422.3,
            "recipient": "Someone@Example.com",
            "user-variables": {"X-Stmails-Campaign": campaign},
            "message": {"headers": {"message-id": "m1@example.org"}},
        }
    }
    [event] = Mailgun().parse(json.dumps(body).encode(), {})
    assert (event.email, event.type, event.campaign_uuid) == (
        "someone@example.com",
        "complaint",
        campaign,
    )
    assert event.event_key == "abc:1534110422.3"


@pytest.mark.django_db
def test_it_records_a_signed_bounce_once(
    make_subscriber, django_capture_on_commit_callbacks
):
    make_subscriber(email="invalid@example.com")
    enable("bounce.mailgun", signing_key=KEY)
    body = signed("failed_permanent_anymail")
    with django_capture_on_commit_callbacks(execute=True):
        assert post("mailgun", body).status_code == 200
        assert post("mailgun", body).status_code == 200  # Mailgun's retry
    assert WebhookEvent.objects.filter(provider="mailgun").count() == 1
    bounce = Bounce.objects.get()
    assert (bounce.type, bounce.source) == ("hard", "mailgun")


@pytest.mark.django_db
def test_it_answers_406_to_a_bad_signature():
    enable("bounce.mailgun", signing_key=KEY)
    response = post("mailgun", signed("failed_permanent_anymail", key="forged"))
    assert response.status_code == 406
    assert not WebhookEvent.objects.exists()
