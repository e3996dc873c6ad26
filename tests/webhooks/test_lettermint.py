"""Lettermint: samples, `t=...,v1=...` signatures over "{t}.{body}", the 300 s window."""

from __future__ import annotations

import time

import pytest

from bounces.models import Bounce
from tests.webhooks.conftest import expected, outcome, sample, samples
from tests.webhooks.provider_requests import enable, post
from webhooks.models import WebhookEvent
from webhooks.providers.base import VerificationError
from webhooks.providers.lettermint import Lettermint, sign

KEY = "test-webhook-key"
CAMPAIGN = "5bd0a3f4-5d8a-4c1e-9a5e-3c1b0f7d2a11"


def header(body: bytes, key: str = KEY, at: int | None = None) -> dict:
    ts = str(int(time.time()) if at is None else at)
    return {"X-Lettermint-Signature": f"t={ts},v1={sign(key, ts, body)}"}


@pytest.mark.parametrize("name", samples("lettermint"))
def test_it_gives_each_sample_its_expected_outcome(name):
    assert outcome(Lettermint().parse(sample("lettermint", name), {})) == expected(
        "lettermint", name
    )


def test_it_links_the_campaign_from_headers_or_metadata():
    for name in ("hard_bounced_DERIVED", "spam_complaint_DERIVED"):
        [event] = Lettermint().parse(sample("lettermint", name), {})
        assert event.campaign_uuid == CAMPAIGN


def test_it_verifies_signatures_with_either_key():
    body = sample("lettermint", "hard_bounced_DERIVED")
    Lettermint().verify(body, header(body), {}, {"key": KEY})
    Lettermint().verify(body, header(body), {}, {"key": "new", "previous_key": KEY})
    with pytest.raises(VerificationError):
        Lettermint().verify(body + b" ", header(body), {}, {"key": KEY})
    with pytest.raises(VerificationError):
        Lettermint().verify(
            body, {"X-Lettermint-Signature": "v1=abc"}, {}, {"key": KEY}
        )


@pytest.mark.parametrize("skew", [-301, 301])
def test_it_refuses_timestamps_outside_300_seconds(skew):
    body = sample("lettermint", "hard_bounced_DERIVED")
    with pytest.raises(VerificationError):
        Lettermint().verify(
            body, header(body, at=int(time.time()) + skew), {}, {"key": KEY}
        )


@pytest.mark.django_db
def test_it_records_a_signed_bounce_once(
    make_subscriber, django_capture_on_commit_callbacks
):
    make_subscriber(email="gone.user@example.test")
    enable("bounce.lettermint", key=KEY)
    body = sample("lettermint", "hard_bounced_DERIVED")
    with django_capture_on_commit_callbacks(execute=True):
        assert post("lettermint", body, header(body)).status_code == 200
        assert post("lettermint", body, header(body)).status_code == 200
    assert WebhookEvent.objects.filter(provider="lettermint").count() == 1
    assert Bounce.objects.get().type == "hard"
    assert post("lettermint", body, header(body, key="forged")).status_code == 400
