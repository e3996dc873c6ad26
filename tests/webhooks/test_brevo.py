"""Brevo: samples, batches, basic auth or bearer token (with rotation)."""

from __future__ import annotations

import json

import pytest

from bounces.models import Bounce
from tests.conftest import basic_auth
from tests.webhooks.conftest import expected, outcome, sample, samples
from tests.webhooks.provider_requests import enable, post
from webhooks.models import WebhookEvent
from webhooks.providers.base import VerificationError
from webhooks.providers.brevo import Brevo

CONFIG = {"username": "brevo", "password": "pw-1", "token": "tok-1"}


@pytest.mark.parametrize("name", samples("brevo"))
def test_it_gives_each_sample_its_expected_outcome(name):
    assert outcome(Brevo().parse(sample("brevo", name), {})) == expected("brevo", name)


def test_it_reads_a_batch():
    names = ["hard_bounce_anymail", "spam_anymail", "blocked_ignored_anymail"]
    body = json.dumps([json.loads(sample("brevo", n)) for n in names]).encode()
    events = Brevo().parse(body, {})
    assert [e.type for e in events] == ["hard", "complaint", "ignored"]
    assert len({e.event_key for e in events}) == 3


@pytest.mark.parametrize(
    "authorization",
    [
        basic_auth("brevo", "pw-1"),
        "Bearer tok-1",
        "Bearer tok-0",
        basic_auth("brevo", "pw-0"),
    ],
)
def test_it_accepts_basic_auth_or_the_bearer_token_current_or_previous(authorization):
    config = {**CONFIG, "previous_password": "pw-0", "previous_token": "tok-0"}
    Brevo().verify(b"{}", {"Authorization": authorization}, {}, config)


@pytest.mark.parametrize(
    "authorization",
    ["", basic_auth("brevo", "wrong"), "Bearer wrong", "Bearer ", "Token tok-1"],
)
def test_it_refuses_anything_else(authorization):
    with pytest.raises(VerificationError) as err:
        Brevo().verify(b"{}", {"Authorization": authorization}, {}, CONFIG)
    assert err.value.status == 401


def test_it_refuses_everything_when_no_credential_is_set():
    with pytest.raises(VerificationError):
        Brevo().verify(
            b"{}",
            {"Authorization": "Bearer "},
            {},
            {"username": "", "password": "", "token": ""},
        )


def test_it_reads_invalid_email_as_hard_and_deferred_as_ignored():
    data = json.loads(sample("brevo", "hard_bounce_anymail"))
    assert (
        Brevo()
        .parse(json.dumps({**data, "event": "invalid_email"}).encode(), {})[0]
        .type
        == "hard"
    )
    assert (
        Brevo().parse(json.dumps({**data, "event": "deferred"}).encode(), {})[0].type
        == "ignored"
    )


@pytest.mark.django_db
def test_it_records_a_bounce_once(make_subscriber, django_capture_on_commit_callbacks):
    make_subscriber(email="not-a-user@example.com")
    enable("bounce.brevo", **CONFIG)
    body = sample("brevo", "hard_bounce_anymail")
    with django_capture_on_commit_callbacks(execute=True):
        assert post("brevo", body, {"Authorization": "Bearer tok-1"}).status_code == 200
        assert post("brevo", body, {"Authorization": "Bearer tok-1"}).status_code == 200
    assert WebhookEvent.objects.filter(provider="brevo").count() == 1
    assert Bounce.objects.get().type == "hard"
