"""SparkPost: samples, bounce classes, pings, basic auth."""

from __future__ import annotations

import json

import pytest

from bounces.models import Bounce
from tests.conftest import basic_auth
from tests.webhooks.conftest import expected, outcome, sample, samples
from tests.webhooks.provider_requests import enable, post
from webhooks.models import WebhookEvent
from webhooks.providers.base import PayloadError, VerificationError
from webhooks.providers.sparkpost import SparkPost

CONFIG = {"username": "sp", "password": "secret-1"}


@pytest.mark.parametrize("name", samples("sparkpost"))
def test_it_gives_each_sample_its_expected_outcome(name):
    assert outcome(SparkPost().parse(sample("sparkpost", name), {})) == expected(
        "sparkpost", name
    )


@pytest.mark.parametrize(
    ("bounce_class", "btype"),
    [
        ("10", "hard"),
        ("30", "hard"),
        ("21", "soft"),
        ("25", "soft"),
        ("51", "soft"),
        ("1", "soft"),
        ("90", "ignored"),
    ],
)
def test_it_classifies_by_bounce_class(bounce_class, btype):
    data = json.loads(sample("sparkpost", "bounce_class10_anymail"))
    data[0]["msys"]["message_event"]["bounce_class"] = bounce_class
    assert SparkPost().parse(json.dumps(data).encode(), {})[0].type == btype


def test_it_reads_complaints_and_ignores_pings_and_policy_rejections():
    event = json.loads(sample("sparkpost", "bounce_class10_anymail"))[0]["msys"][
        "message_event"
    ]
    batch = [
        {"msys": {}},
        {
            "msys": {
                "feedback_event": {**event, "type": "spam_complaint", "event_id": "2"}
            }
        },
        {
            "msys": {
                "message_event": {**event, "type": "policy_rejection", "event_id": "3"}
            }
        },
    ]
    assert [e.type for e in SparkPost().parse(json.dumps(batch).encode(), {})] == [
        "complaint",
        "ignored",
    ]


def test_it_refuses_something_else_than_a_batch():
    with pytest.raises(PayloadError):
        SparkPost().parse(b'{"msys": {}}', {})


def test_it_checks_basic_auth():
    SparkPost().verify(
        b"[]", {"Authorization": basic_auth("sp", "secret-1")}, {}, CONFIG
    )
    with pytest.raises(VerificationError):
        SparkPost().verify(
            b"[]", {"Authorization": basic_auth("sp", "secret-2")}, {}, CONFIG
        )


@pytest.mark.django_db
def test_it_records_a_bounce_once(make_subscriber, django_capture_on_commit_callbacks):
    make_subscriber(email="bounce@example.com")
    enable("bounce.sparkpost", **CONFIG)
    body = sample("sparkpost", "bounce_class10_anymail")
    auth = {"Authorization": basic_auth("sp", "secret-1")}
    with django_capture_on_commit_callbacks(execute=True):
        assert post("sparkpost", body, auth).status_code == 200
        assert post("sparkpost", body, auth).status_code == 200
    assert WebhookEvent.objects.filter(provider="sparkpost").count() == 1
    bounce = Bounce.objects.get()
    assert (bounce.type, bounce.provider_message_id) == ("hard", "84345317650824116")
