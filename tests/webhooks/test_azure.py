"""Azure Event Grid: samples, the validation handshake, the shared secret."""

from __future__ import annotations

import pytest

from bounces.models import Bounce
from tests.webhooks.conftest import expected, outcome, sample, samples
from tests.webhooks.provider_requests import enable, post
from webhooks.models import WebhookEvent
from webhooks.providers.azure import Azure, classify
from webhooks.providers.base import VerificationError

SECRET = "s3cret-code"


@pytest.mark.parametrize("name", samples("azure"))
def test_it_gives_each_sample_its_expected_outcome(name):
    assert outcome(Azure().parse(sample("azure", name), {})) == expected("azure", name)


@pytest.mark.parametrize(
    ("status", "details", "btype"),
    [
        ("Bounced", "", "hard"),
        ("Failed", "550 5.1.1 user unknown", "hard"),
        ("Failed", "421 4.7.0 try later", "soft"),
        ("Failed", "Mailbox full", "soft"),
        ("Failed", "Recipient does not exist", "hard"),
        ("Failed", "", "soft"),
        ("FilteredSpam", "Spam complaint received", "complaint"),
        ("Quarantined", "held", "soft"),
        ("Suppressed", "on the suppression list", "ignored"),
        ("Delivered", "", "ignored"),
    ],
)
def test_it_classifies_delivery_reports(status, details, btype):
    assert classify(status, details) == btype


def test_it_checks_the_shared_secret_in_the_query_or_the_header():
    config = {"shared_secret": SECRET, "shared_secret_header": ""}
    Azure().verify(b"[]", {}, {"code": SECRET}, config)
    Azure().verify(b"[]", {"X-Listmonk-Webhook-Secret": SECRET}, {}, config)
    Azure().verify(
        b"[]", {"X-Mine": SECRET}, {}, {**config, "shared_secret_header": "X-Mine"}
    )
    Azure().verify(
        b"[]", {}, {"code": "old"}, {**config, "previous_shared_secret": "old"}
    )
    for headers, query in (({}, {}), ({}, {"code": "nope"}), ({"X-Mine": SECRET}, {})):
        with pytest.raises(VerificationError):
            Azure().verify(b"[]", headers, query, config)


def test_it_refuses_everything_until_a_secret_is_set():
    with pytest.raises(VerificationError):
        Azure().verify(b"[]", {}, {"code": ""}, {"shared_secret": ""})


@pytest.mark.django_db
def test_it_answers_the_validation_handshake_and_stores_nothing():
    enable("bounce.azure", shared_secret=SECRET)
    body = sample("azure", "subscription_validation_docs_example")
    response = post("azure", body, query=f"code={SECRET}")
    assert response.status_code == 200
    assert response.json() == {
        "validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"
    }
    assert not WebhookEvent.objects.exists()
    assert post("azure", body, query="code=wrong").status_code == 401


@pytest.mark.django_db
def test_it_records_a_batch_once(make_subscriber, django_capture_on_commit_callbacks):
    make_subscriber(email="gone@example.com")
    make_subscriber(email="full@example.com")
    enable("bounce.azure", shared_secret=SECRET)
    body = sample("azure", "bounced_DERIVED")
    with django_capture_on_commit_callbacks(execute=True):
        assert post("azure", body, query=f"code={SECRET}").status_code == 200
        assert post("azure", body, query=f"code={SECRET}").status_code == 200
    assert WebhookEvent.objects.filter(provider="azure").count() == 3
    assert sorted(Bounce.objects.values_list("type", flat=True)) == ["hard", "soft"]
