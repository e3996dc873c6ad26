"""Amazon SES through SNS: parsing, real signature vectors, topics, subscriptions."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from django.utils.datastructures import CaseInsensitiveMapping

from stmails.config import get_value, update_settings
from stmails.lib import http
from stmails.models import SettingsChange
from webhooks.models import WebhookEvent
from webhooks.providers import ses
from webhooks.providers.base import VerificationError

from .conftest import (
    SNS_CERT_URL,
    SNS_TOPIC,
    as_expected,
    expected,
    outcome,
    sample,
    samples,
    sns_envelope,
    sns_sign,
    vector,
)

URL = "/webhooks/service/ses"


def post(client, msg: dict, message_type: str | None = None):
    return client.post(
        URL,
        data=json.dumps(msg),
        content_type="text/plain; charset=UTF-8",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE=message_type or msg["Type"],
    )


@pytest.mark.parametrize("name", samples("ses"))
def test_it_parses_each_sample_as_expected(name):
    events = ses.Ses().parse(sample("ses", name), CaseInsensitiveMapping({}))
    assert outcome(events) == as_expected(expected("ses", name))


def test_it_keys_events_by_feedback_id_and_recipient():
    (event,) = ses.Ses().parse(
        sample("ses", "bounce_permanent_aws_docs_example"), CaseInsensitiveMapping({})
    )
    assert event.event_key == (
        "00000138111222aa-44455566-cccc-cccc-cccc-ddddaaaa068a-000000:jane@example.com"
    )
    assert event.status == "5.1.1"


def test_it_verifies_the_real_signed_sns_message(monkeypatch):
    vec = vector("ses", "real_signed_bounce_simulator")
    monkeypatch.setattr(
        http,
        "get",
        lambda url, **kw: http.Response(200, vec["signing_cert_pem"].encode(), {}),
    )
    # The real certificate expired in 2022: move the clock to the message's time.
    monkeypatch.setattr(ses, "now", lambda: datetime(2022, 4, 1, 21, 30, tzinfo=UTC))
    ses.clear_cert_cache()
    body = sample("ses", "real_signed_bounce_simulator")
    msg = json.loads(body)
    assert ses.canonical_string(msg).decode() == vec["string_to_sign"]
    config = {"topic_arns": [msg["TopicArn"]], "accept_next": False}
    headers = CaseInsensitiveMapping({"x-amz-sns-message-type": "Notification"})
    ses.Ses().verify(body, headers, {}, config)

    tampered = body.replace(b"bounce@simulator", b"other@simulator")
    with pytest.raises(VerificationError, match="does not verify"):
        ses.Ses().verify(tampered, headers, {}, config)
    ses.clear_cert_cache()


def test_it_refuses_the_expired_real_certificate_today(monkeypatch):
    vec = vector("ses", "real_signed_bounce_simulator")
    monkeypatch.setattr(
        http,
        "get",
        lambda url, **kw: http.Response(200, vec["signing_cert_pem"].encode(), {}),
    )
    ses.clear_cert_cache()
    body = sample("ses", "real_signed_bounce_simulator")
    headers = CaseInsensitiveMapping({"x-amz-sns-message-type": "Notification"})
    with pytest.raises(VerificationError, match="not valid now"):
        ses.Ses().verify(
            body, headers, {}, {"topic_arns": [json.loads(body)["TopicArn"]]}
        )
    ses.clear_cert_cache()


@pytest.mark.parametrize("version", ["1", "2"])
def test_it_records_a_signed_bounce(client, ses_on, make_subscriber, version):
    make_subscriber("jane@example.com")
    msg = sns_sign(sns_envelope("bounce_permanent_aws_docs_example"), version)
    response = post(client, msg)
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.provider, event.type, event.email) == (
        "ses",
        "hard",
        "jane@example.com",
    )
    assert ses_on == [SNS_CERT_URL]  # fetched once


def test_debug_level_logs_the_payload_but_not_the_headers(client, ses_on, caplog):
    msg = sns_sign(sns_envelope("bounce_permanent_aws_docs_example"))
    with caplog.at_level(logging.DEBUG, logger="webhooks.service_views"):
        post(client, msg)
    [line] = [r.getMessage() for r in caplog.records if "payload" in r.getMessage()]
    assert line.startswith("webhook ses payload (")
    assert '"Type": "Notification"' in line or '"Type":"Notification"' in line
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="webhooks.service_views"):
        post(client, msg)
    assert not [r for r in caplog.records if "payload" in r.getMessage()]


def test_it_fetches_the_certificate_once(client, ses_on):
    for _ in range(3):
        msg = sns_sign(sns_envelope("delivery_ignored", MessageId=str(_)))
        assert post(client, msg).status_code == 200
    assert ses_on == [SNS_CERT_URL]


@pytest.mark.parametrize(
    "cert_url",
    [
        "https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-1.pem",
        "https://my-bucket.s3.amazonaws.com/SimpleNotificationService-1.pem",
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem",
        "https://sns.us-east-1.amazonaws.com/other.pem",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem?x=.pem",
    ],
)
def test_it_refuses_certificate_urls_off_the_strict_pattern(client, ses_on, cert_url):
    msg = sns_sign(sns_envelope("bounce_permanent_aws_docs_example"))
    msg["SigningCertURL"] = cert_url
    response = post(client, msg)
    assert response.status_code == 400
    assert "SigningCertURL" in response.json()["message"]
    assert ses_on == []  # nothing fetched
    assert not WebhookEvent.objects.exists()


def test_it_refuses_other_signature_versions(client, ses_on):
    msg = sns_sign(sns_envelope("bounce_permanent_aws_docs_example"))
    msg["SignatureVersion"] = "3"
    assert post(client, msg).status_code == 400


def test_it_refuses_a_topic_not_allowed(client, ses_on):
    other = "arn:aws:sns:us-east-1:999999999999:someone-else"
    msg = sns_sign(sns_envelope("bounce_permanent_aws_docs_example", TopicArn=other))
    response = post(client, msg)
    assert response.status_code == 403
    assert not WebhookEvent.objects.exists()


def test_it_refuses_a_type_header_that_disagrees(client, ses_on):
    msg = sns_sign(sns_envelope("bounce_permanent_aws_docs_example"))
    assert post(client, msg, message_type="SubscriptionConfirmation").status_code == 400


def test_it_refuses_an_old_message(client, ses_on):
    msg = sns_sign(
        sns_envelope(
            "bounce_permanent_aws_docs_example", Timestamp="2020-01-01T00:00:00.000Z"
        )
    )
    response = post(client, msg)
    assert response.status_code == 400
    assert "too old" in response.json()["message"]


CONFIRM_URL = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t"


def confirmation(**changes) -> dict:
    changes.setdefault("SubscribeURL", CONFIRM_URL)
    return sns_sign(sns_envelope("sns_subscription_confirmation", **changes))


def test_it_confirms_a_subscription_for_an_allowed_topic(client, ses_on):
    response = post(client, confirmation())
    assert response.status_code == 200
    assert ses_on[-1].startswith("https://sns.us-east-1.amazonaws.com/?Action=Confirm")
    assert not WebhookEvent.objects.exists()


def test_it_refuses_a_subscription_for_a_new_topic_unless_armed(client, ses_on):
    new_topic = "arn:aws:sns:eu-west-1:123456789012:new-topic"
    assert post(client, confirmation(TopicArn=new_topic)).status_code == 403
    assert not any("ConfirmSubscription" in u for u in ses_on)

    update_settings({"bounce.ses_accept_next_subscription": True})
    assert post(client, confirmation(TopicArn=new_topic)).status_code == 200
    assert get_value("bounce.ses_topic_arns") == [SNS_TOPIC, new_topic]
    assert get_value("bounce.ses_accept_next_subscription") is False
    # The audit log says who changed the topics: SES's handshake, not "system".
    audited = SettingsChange.objects.filter(key="bounce.ses_topic_arns").first()
    assert audited.actor == "webhook:ses"

    # Disarmed again: a third topic is refused.
    third = "arn:aws:sns:eu-west-1:123456789012:third"
    assert post(client, confirmation(TopicArn=third)).status_code == 403


def test_it_refuses_a_subscribe_url_off_sns(client, ses_on):
    msg = confirmation(SubscribeURL="https://evil.example/?Action=ConfirmSubscription")
    assert post(client, msg).status_code == 400
    assert not any("evil" in u for u in ses_on)


def test_it_logs_an_unsubscribe_confirmation_and_changes_nothing(client, ses_on):
    msg = sns_sign(sns_envelope("sns_unsubscribe_confirmation"))
    assert post(client, msg).status_code == 200
    assert get_value("bounce.ses_topic_arns") == [SNS_TOPIC]
    assert not any("ConfirmSubscription" in u for u in ses_on)
    assert not WebhookEvent.objects.exists()


def test_it_accepts_the_validated_notice_and_stores_nothing(client, ses_on):
    msg = sns_sign(sns_envelope("sns_successfully_validated_notification"))
    assert post(client, msg).status_code == 200
    assert not WebhookEvent.objects.exists()


def test_it_rejects_bad_topic_arns_in_settings(db):
    from stmails.config import SettingsError

    with pytest.raises(SettingsError, match=r"bounce.ses_topic_arns\[0\]"):
        update_settings({"bounce.ses_topic_arns": ["not-an-arn"]})
