"""The contract every provider webhook keeps, parametrized over PROVIDERS.

To add a provider: write a `build(kind)` returning (body, headers) for each
kind below (None when the kind does not apply, e.g. no timestamp to replay),
an `enable()` storing its settings, and append a Contract to PROVIDERS.

kinds: "valid" (an authenticated payload with one bounce for `email`),
"forged" (wrong signature or credential), "unauthenticated" (no signature or
credential at all), "replayed" (a signature over an old timestamp), "malformed"
(authenticated where possible, but not JSON).
Headers are given by their HTTP names ("Authorization", "X-Webhook-Signature").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from bounces.models import Bounce
from stmails.config import update_settings
from tests.conftest import basic_auth
from webhooks.models import WebhookEvent
from webhooks.providers.verification import hmac_sha256_hex
from webhooks.service_views import MAX_BODY_BYTES

from .conftest import SNS_TOPIC, sample, sendgrid_keys, sns_envelope, sns_sign
from .provider_requests import CONTRACTS as PROVIDER_CONTRACTS

Request = tuple[bytes, dict[str, str]]


@dataclass
class Contract:
    slug: str
    enable: Callable[[], None]
    build: Callable[[str], Request | None]
    email: str
    reject_status: int  # for forged and replayed requests
    missing_status: int | None = (
        None  # for unauthenticated ones (default: reject_status)
    )
    content_type: str = "application/json"

    def __str__(self) -> str:
        return self.slug


# --- ses ---------------------------------------------------------------------------------


def ses_enable() -> None:
    update_settings({"bounce.ses_enabled": True, "bounce.ses_topic_arns": [SNS_TOPIC]})


def ses_build(kind: str) -> Request | None:
    headers = {"x-amz-sns-message-type": "Notification"}
    msg = sns_envelope("bounce_permanent_aws_docs_example")
    if kind == "malformed":
        return b"{not json", headers
    if kind == "unauthenticated":
        return json.dumps(msg).encode(), headers
    if kind == "replayed":
        msg["Timestamp"] = "2020-01-01T00:00:00.000Z"
    msg = sns_sign(msg)
    if kind == "forged":
        msg["Message"] = msg["Message"].replace("jane@", "john@")
    return json.dumps(msg).encode(), headers


# --- sendgrid ----------------------------------------------------------------------------


def sendgrid_enable() -> None:
    update_settings(
        {"bounce.sendgrid_enabled": True, "bounce.sendgrid_key": sendgrid_keys()[1]}
    )


def sendgrid_build(kind: str) -> Request | None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    body = b"[oops" if kind == "malformed" else sample("sendgrid", "bounce_anymail")
    if kind == "unauthenticated":
        return body, {}
    when = datetime.now(UTC) - (
        timedelta(days=3) if kind == "replayed" else timedelta()
    )
    timestamp = str(int(when.timestamp()))
    key = ec.generate_private_key(ec.SECP256R1()) if kind == "forged" else None
    signature = (key or sendgrid_keys()[0]).sign(
        timestamp.encode() + body, ec.ECDSA(hashes.SHA256())
    )
    import base64

    return body, {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
    }


# --- basic auth / shared secrets ----------------------------------------------------------


def postmark_enable() -> None:
    update_settings(
        {"bounce.postmark": {"enabled": True, "username": "pm", "password": "pw"}}
    )


def postmark_build(kind: str) -> Request | None:
    if kind == "replayed":
        return None
    body = (
        b"{oops" if kind == "malformed" else sample("postmark", "hard_bounce_anymail")
    )
    auth = {"valid": basic_auth("pm", "pw"), "forged": basic_auth("pm", "nope")}
    return body, ({"Authorization": auth[kind]} if kind in auth else {}) | (
        {"Authorization": basic_auth("pm", "pw")} if kind == "malformed" else {}
    )


FE_KEY = "fe-test-key"


def forwardemail_enable() -> None:
    update_settings({"bounce.forwardemail": {"enabled": True, "key": FE_KEY}})


def forwardemail_build(kind: str) -> Request | None:
    if kind == "replayed":
        return None
    body = (
        b"{oops"
        if kind == "malformed"
        else sample("forwardemail", "signed_capacity_COMPUTED")
    )
    if kind == "unauthenticated":
        return body, {}
    key = "wrong" if kind == "forged" else FE_KEY
    return body, {"X-Webhook-Signature": hmac_sha256_hex(key, body)}


def sendamatic_enable() -> None:
    update_settings(
        {
            "bounce.sendamatic": {
                "enabled": True,
                "header_name": "X-Hook-Secret",
                "header_value": "hv",
            }
        }
    )


def sendamatic_build(kind: str) -> Request | None:
    if kind == "replayed":
        return None
    body = (
        b"{oops"
        if kind == "malformed"
        else sample("sendamatic", "hard_bounce_docs_shape")
    )
    if kind == "unauthenticated":
        return body, {}
    return body, {"X-Hook-Secret": "nope" if kind == "forged" else "hv"}


PROVIDERS: list[Contract] = [
    Contract(
        "ses",
        ses_enable,
        ses_build,
        "jane@example.com",
        400,
        content_type="text/plain; charset=UTF-8",
    ),
    Contract("sendgrid", sendgrid_enable, sendgrid_build, "noreply@example.com", 403),
    Contract("postmark", postmark_enable, postmark_build, "bounce@example.com", 403),
    Contract(
        "forwardemail",
        forwardemail_enable,
        forwardemail_build,
        "example@gmail.com",
        401,
    ),
    Contract(
        "sendamatic", sendamatic_enable, sendamatic_build, "gone@example.org", 401
    ),
    # Their builders live in tests/webhooks/provider_requests.py.
    *[Contract(*row) for row in PROVIDER_CONTRACTS],
]


def send(contract: Contract, request: Request, method: str = "post"):
    body, headers = request
    extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    return Client().generic(
        method.upper(),
        f"/webhooks/service/{contract.slug}",
        data=body,
        content_type=contract.content_type,
        **extra,
    )


@pytest.fixture
def contract_env(db, sns_cert, make_subscriber):
    update_settings({"bounce.enabled": True})

    def setup(contract: Contract):
        contract.enable()
        return make_subscriber(contract.email)

    return setup


@pytest.mark.parametrize("contract", PROVIDERS, ids=str)
def test_it_stores_and_records_once_even_when_sent_twice(
    contract, contract_env, django_capture_on_commit_callbacks
):
    subscriber = contract_env(contract)
    request = contract.build("valid")
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = send(contract, request)
        assert response.status_code == 200, response.content
    assert WebhookEvent.objects.filter(provider=contract.slug).count() == 1
    bounce = Bounce.objects.get()
    assert bounce.subscriber_id == subscriber.id
    assert bounce.source == contract.slug
    assert bounce.event_key.startswith(f"{contract.slug}:")


# Only these sign a timestamp, so only they have a replayed request to refuse.
SIGNS_A_TIMESTAMP = {"ses", "sendgrid", "mailgun", "resend", "lettermint"}
UNVERIFIED_CASES = [
    pytest.param(contract, kind, id=f"{contract.slug}-{kind}")
    for contract in PROVIDERS
    for kind in ("forged", "unauthenticated", "replayed")
    if kind != "replayed" or contract.slug in SIGNS_A_TIMESTAMP
]


def test_it_knows_which_providers_have_a_replayed_case():
    replayable = {c.slug for c in PROVIDERS if c.build("replayed") is not None}
    assert replayable == SIGNS_A_TIMESTAMP


@pytest.mark.parametrize(("contract", "kind"), UNVERIFIED_CASES)
def test_it_refuses_unverified_requests_and_stores_nothing(
    contract, kind, contract_env
):
    contract_env(contract)
    request = contract.build(kind)
    assert request is not None
    response = send(contract, request)
    want = contract.reject_status
    if kind == "unauthenticated" and contract.missing_status:
        want = contract.missing_status
    assert response.status_code == want
    assert "message" in response.json()
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("contract", PROVIDERS, ids=str)
def test_it_answers_400_to_malformed_json(contract, contract_env):
    contract_env(contract)
    response = send(contract, contract.build("malformed"))
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("contract", PROVIDERS, ids=str)
def test_it_answers_413_to_an_oversized_body(contract, contract_env):
    contract_env(contract)
    body, headers = contract.build("valid")
    response = send(contract, (body + b" " * MAX_BODY_BYTES, headers))
    assert response.status_code == 413


@pytest.mark.parametrize("contract", PROVIDERS, ids=str)
@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_it_answers_405_to_other_methods(contract, method, contract_env):
    contract_env(contract)
    response = send(contract, contract.build("valid"), method)
    assert response.status_code == 405


@pytest.mark.parametrize("contract", PROVIDERS, ids=str)
def test_it_answers_404_while_disabled(contract, db, sns_cert):
    update_settings({"bounce.enabled": True})
    response = send(contract, contract.build("valid"))
    assert response.status_code == 404
