"""Mailjet: samples (grouped events), basic auth, soft and greylisted bounces."""

from __future__ import annotations

import json

import pytest

from bounces.models import Bounce
from tests.conftest import basic_auth
from tests.webhooks.conftest import expected, outcome, sample, samples
from tests.webhooks.provider_requests import enable, post
from webhooks.models import WebhookEvent
from webhooks.providers.base import VerificationError
from webhooks.providers.mailjet import Mailjet

CONFIG = {"username": "mj", "password": "secret-1"}


@pytest.mark.parametrize("name", samples("mailjet"))
def test_it_gives_each_sample_its_expected_outcome(name):
    assert outcome(Mailjet().parse(sample("mailjet", name), {})) == expected(
        "mailjet", name
    )


def test_it_reads_a_single_event_object_too():
    [item] = json.loads(sample("mailjet", "bounce_hard_anymail"))
    assert outcome(Mailjet().parse(json.dumps(item).encode(), {})) == expected(
        "mailjet", "bounce_hard_anymail"
    )


def test_it_reads_soft_bounces_and_ignores_greylisting():
    [item] = json.loads(sample("mailjet", "bounce_hard_anymail"))
    soft = {**item, "hard_bounce": False, "error": "mailbox full"}
    grey = {**item, "hard_bounce": False, "error": "greylisted"}
    events = Mailjet().parse(json.dumps([soft, grey]).encode(), {})
    assert [e.type for e in events] == ["soft", "ignored"]


def test_it_checks_basic_auth_with_rotation():
    config = {**CONFIG, "previous_password": "secret-0"}
    Mailjet().verify(b"[]", {"Authorization": basic_auth("mj", "secret-1")}, {}, config)
    Mailjet().verify(b"[]", {"Authorization": basic_auth("mj", "secret-0")}, {}, config)
    for bad in ("", basic_auth("mj", "nope"), basic_auth("other", "secret-1")):
        with pytest.raises(VerificationError):
            Mailjet().verify(b"[]", {"Authorization": bad}, {}, config)


@pytest.mark.django_db
def test_it_records_a_bounce_once(make_subscriber, django_capture_on_commit_callbacks):
    make_subscriber(email="spam@example.com")
    enable("bounce.mailjet", **CONFIG)
    body = sample("mailjet", "spam_anymail")
    auth = {"Authorization": basic_auth("mj", "secret-1")}
    with django_capture_on_commit_callbacks(execute=True):
        assert post("mailjet", body, auth).status_code == 200
        assert post("mailjet", body, auth).status_code == 200
    assert WebhookEvent.objects.filter(provider="mailjet").count() == 1
    assert Bounce.objects.get().type == "complaint"
    assert post("mailjet", body).status_code == 401


def test_a_blocked_bounce_is_still_a_bounce_soft_unless_hard():
    [item] = json.loads(sample("mailjet", "bounce_blocked_soft_DERIVED"))
    hard = {**item, "hard_bounce": True}
    events = Mailjet().parse(json.dumps([item, hard]).encode(), {})
    assert [e.type for e in events] == ["soft", "hard"]
