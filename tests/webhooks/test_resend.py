"""Resend through Svix: samples, the published Svix vector, the 5-minute window."""

from __future__ import annotations

import json
import time

import pytest

from bounces.models import Bounce
from tests.webhooks.conftest import expected, outcome, sample, samples, vector
from tests.webhooks.provider_requests import enable, post
from webhooks.models import WebhookEvent
from webhooks.providers.base import VerificationError
from webhooks.providers.resend import Resend, svix_signature, svix_signature_ok

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def svix_headers(
    body: bytes, *, secret: str = SECRET, msg_id: str = "msg_1", at: int | None = None
) -> dict:
    ts = str(int(time.time()) if at is None else at)
    return {
        "svix-id": msg_id,
        "svix-timestamp": ts,
        "svix-signature": svix_signature(secret, msg_id, ts, body),
    }


@pytest.mark.parametrize("name", samples("resend"))
def test_it_gives_each_sample_its_expected_outcome(name):
    events = Resend().parse(sample("resend", name), {"svix-id": "msg_x"})
    assert outcome(events) == expected("resend", name)


def test_it_verifies_the_published_svix_vector():
    v = vector("resend", "svix_reference_vector")
    h = v["headers"]
    body = v["body_exact"].encode()
    assert svix_signature_ok(
        v["secret"], h["svix-id"], h["svix-timestamp"], body, h["svix-signature"]
    )
    assert not svix_signature_ok(
        v["secret"], h["svix-id"], h["svix-timestamp"], body + b" ", h["svix-signature"]
    )
    # The vector's timestamp is from 2021: the full check refuses it as a replay.
    with pytest.raises(VerificationError) as err:
        Resend().verify(body, h, {}, {"secret": v["secret"]})
    assert "5-minute" in err.value.message


def test_it_accepts_any_of_several_signatures_and_the_previous_secret():
    body = sample("resend", "bounced_anymail")
    headers = svix_headers(body)
    headers["svix-signature"] = "v1,bm90LWl0 " + headers["svix-signature"]
    Resend().verify(body, headers, {}, {"secret": SECRET})
    rotated = {"secret": "whsec_" + "QUJD" * 8, "previous_secret": SECRET}
    Resend().verify(body, svix_headers(body), {}, rotated)


@pytest.mark.parametrize("skew", [-301, 301])
def test_it_refuses_timestamps_outside_five_minutes(skew):
    body = sample("resend", "bounced_anymail")
    with pytest.raises(VerificationError):
        Resend().verify(
            body, svix_headers(body, at=int(time.time()) + skew), {}, {"secret": SECRET}
        )


def test_it_does_not_guess_the_recipient_of_a_multi_recipient_message():
    data = json.loads(sample("resend", "bounced_anymail"))
    data["data"]["to"] = ["a@example.com", "b@example.com"]
    assert outcome(Resend().parse(json.dumps(data).encode(), {})) == []


def test_it_reads_complaints_keyed_by_svix_id():
    data = json.loads(sample("resend", "bounced_anymail"))
    data["type"] = "email.complained"
    [event] = Resend().parse(json.dumps(data).encode(), {"svix-id": "msg_42"})
    assert (event.type, event.event_key) == ("complaint", "msg_42")


@pytest.mark.django_db
def test_it_records_a_signed_bounce_once(
    make_subscriber, django_capture_on_commit_callbacks
):
    make_subscriber(email="bounced@resend.dev")
    enable("bounce.resend", secret=SECRET)
    body = sample("resend", "bounced_anymail")
    headers = svix_headers(body, msg_id="msg_retry")
    with django_capture_on_commit_callbacks(execute=True):
        assert post("resend", body, headers).status_code == 200
        assert (
            post("resend", body, headers).status_code == 200
        )  # Svix retries keep svix-id
    assert WebhookEvent.objects.filter(provider="resend").count() == 1
    assert Bounce.objects.get().type == "hard"


@pytest.mark.django_db
def test_it_refuses_a_forged_signature():
    enable("bounce.resend", secret=SECRET)
    body = sample("resend", "bounced_anymail")
    response = post(
        "resend", body, svix_headers(body, secret="whsec_" + "Zm9yZ2Vk" * 4)
    )
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()
