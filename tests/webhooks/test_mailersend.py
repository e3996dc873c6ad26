"""MailerSend: samples and the hex HMAC-SHA256 `Signature` header."""

from __future__ import annotations

import pytest

from bounces.models import Bounce
from tests.webhooks.conftest import expected, outcome, sample, samples, vector
from tests.webhooks.provider_requests import enable, post
from webhooks.models import WebhookEvent
from webhooks.providers.base import VerificationError
from webhooks.providers.mailersend import MailerSend
from webhooks.providers.verification import hmac_sha256_hex

SIGNED = "signed_hard_bounced_COMPUTED"


@pytest.mark.parametrize("name", samples("mailersend"))
def test_it_gives_each_sample_its_expected_outcome(name):
    assert outcome(MailerSend().parse(sample("mailersend", name), {})) == expected(
        "mailersend", name
    )


def test_it_verifies_the_computed_vector():
    v = vector("mailersend", SIGNED)
    body = sample("mailersend", SIGNED)
    MailerSend().verify(body, v["headers"], {}, {"secret": v["signing_secret"]})
    with pytest.raises(VerificationError):
        MailerSend().verify(
            body + b"\n", v["headers"], {}, {"secret": v["signing_secret"]}
        )


def test_it_accepts_the_previous_secret_and_refuses_a_missing_header():
    body = sample("mailersend", SIGNED)
    config = {"secret": "new", "previous_secret": "TEST_SIGNING_SECRET"}
    MailerSend().verify(body, vector("mailersend", SIGNED)["headers"], {}, config)
    with pytest.raises(VerificationError):
        MailerSend().verify(body, {}, {}, config)


def test_it_ignores_other_activities():
    body = sample("mailersend", SIGNED).replace(
        b"activity.hard_bounced", b"activity.delivered"
    )
    assert outcome(MailerSend().parse(body, {})) == []


@pytest.mark.django_db
def test_it_records_a_signed_bounce_once(
    make_subscriber, django_capture_on_commit_callbacks
):
    make_subscriber(email="invalid@example.com")
    enable("bounce.mailersend", secret="TEST_SIGNING_SECRET")
    body = sample("mailersend", SIGNED)
    headers = {"Signature": hmac_sha256_hex("TEST_SIGNING_SECRET", body)}
    with django_capture_on_commit_callbacks(execute=True):
        assert post("mailersend", body, headers).status_code == 200
        assert post("mailersend", body, headers).status_code == 200
    assert WebhookEvent.objects.filter(provider="mailersend").count() == 1
    assert Bounce.objects.get().type == "hard"


@pytest.mark.django_db
def test_it_refuses_a_bad_signature():
    enable("bounce.mailersend", secret="TEST_SIGNING_SECRET")
    body = sample("mailersend", SIGNED)
    assert post("mailersend", body, {"Signature": "00" * 32}).status_code == 401
    assert not WebhookEvent.objects.exists()
