"""Issue 14 item 9 (provider webhooks): stored means 2xx even with the broker
down; SES checks its topic allow-list before fetching anything and anchors the
certificate URL pattern."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from kombu.exceptions import OperationalError

from stmails.config import update_settings
from tests.conftest import basic_auth
from webhooks import tasks
from webhooks.models import WebhookEvent

from .conftest import SNS_CERT_URL, sample, sns_envelope, sns_sign


@pytest.fixture
def postmark_on(db):
    update_settings(
        {
            "bounce.enabled": True,
            "bounce.postmark": {"enabled": True, "username": "pm", "password": "pw"},
        }
    )


@pytest.mark.django_db(transaction=True)
def test_a_stored_event_is_answered_2xx_while_the_broker_is_down(
    postmark_on, monkeypatch, caplog
):
    def broker_down(**kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(tasks.process_webhook_events, "delay", broker_down)
    client = Client(raise_request_exception=False)
    response = client.post(
        "/webhooks/service/postmark",
        data=sample("postmark", "hard_bounce_anymail"),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic_auth("pm", "pw"),
    )
    assert response.status_code == 200
    assert response.json() == {"data": True, "stored": 1, "duplicates": 0}
    # Stored, waiting for the beat job that processes received events.
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.RECEIVED
    assert "not enqueued" in caplog.text


def post_sns(msg: dict):
    return Client().post(
        "/webhooks/service/ses",
        data=json.dumps(msg),
        content_type="text/plain; charset=UTF-8",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE=msg["Type"],
    )


def test_a_topic_not_allowed_is_refused_before_the_certificate_is_fetched(ses_on):
    other = "arn:aws:sns:us-east-1:999999999999:someone-else"
    msg = sns_sign(sns_envelope("bounce_permanent_aws_docs_example", TopicArn=other))
    msg["SigningCertURL"] = SNS_CERT_URL.replace("0123", "9999")  # never seen before
    response = post_sns(msg)
    assert response.status_code == 403
    assert ses_on == []  # nothing fetched
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("suffix", ["\n", "\r\n", "\n.evil.example"])
def test_a_certificate_url_with_a_trailing_newline_is_refused(ses_on, suffix):
    msg = sns_sign(sns_envelope("bounce_permanent_aws_docs_example"))
    msg["SigningCertURL"] = SNS_CERT_URL + suffix
    response = post_sns(msg)
    assert response.status_code == 400
    assert "SigningCertURL" in response.json()["message"]
    assert ses_on == []
    assert not WebhookEvent.objects.exists()
