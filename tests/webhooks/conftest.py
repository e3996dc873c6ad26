"""Provider webhook fixtures: samples, settings, and signers that run the real verifiers.

SNS: a throwaway RSA key and self-signed certificate; `sns_cert` patches the one
HTTP choke point (stmails.lib.http.get) to serve it. SendGrid: a throwaway P-256
key pair.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from django.core.cache import cache as django_cache

from stmails.config import update_settings
from stmails.lib import http

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "webhooks"
SNS_CERT_URL = (
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem"
)
SNS_TOPIC = "arn:aws:sns:us-east-1:123456789012:ses-bounces"


def sample(provider: str, name: str) -> bytes:
    return (FIXTURES / provider / f"{name}.json").read_bytes()


def expected(provider: str, name: str) -> list[dict]:
    return json.loads((FIXTURES / provider / f"{name}.expected.json").read_text())


def vector(provider: str, name: str) -> dict:
    return json.loads((FIXTURES / provider / f"{name}.vector.json").read_text())


def samples(provider: str) -> list[str]:
    """Every sample body of a provider that has an expected outcome."""
    return sorted(
        p.name[: -len(".expected.json")]
        for p in (FIXTURES / provider).glob("*.expected.json")
    )


def outcome(events) -> list[dict]:
    """Parsed events as the .expected.json files state them (ignored ones dropped)."""
    return [
        {"email": e.email, "type": e.type, "message_id": e.message_id or None}
        for e in events
        if e.type != "ignored"
    ]


def as_expected(items: list[dict]) -> list[dict]:
    return [{**i, "message_id": i.get("message_id") or None} for i in items]


@pytest.fixture(autouse=True)
def _local_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    django_cache.clear()


@pytest.fixture
def bounces_on(db):
    update_settings({"bounce.enabled": True})


# --- SNS -----------------------------------------------------------------------------


@cache
def sns_key_and_cert() -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


def sns_sign(msg: dict, version: str = "1") -> dict:
    """Fill SignatureVersion, SigningCertURL and Signature for our test certificate."""
    from webhooks.providers.ses import canonical_string

    key, _ = sns_key_and_cert()
    msg = {**msg, "SignatureVersion": version, "SigningCertURL": SNS_CERT_URL}
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303
    signature = key.sign(canonical_string(msg), padding.PKCS1v15(), algorithm)
    msg["Signature"] = base64.b64encode(signature).decode()
    return msg


def sns_envelope(name: str, **changes) -> dict:
    """A sample SNS message, fresh (Timestamp now) and on our topic unless changed."""
    msg = json.loads(sample("ses", name))
    msg["Timestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    msg["TopicArn"] = SNS_TOPIC
    msg.update(changes)
    return msg


@pytest.fixture
def sns_cert(monkeypatch):
    """Serve our test certificate (and record every GET) at the HTTP choke point."""
    from webhooks.providers import ses

    ses.clear_cert_cache()
    calls: list[str] = []
    _, pem = sns_key_and_cert()

    def fake_get(url, **kwargs):
        calls.append(url)
        if url == SNS_CERT_URL:
            return http.Response(200, pem, {})
        if "ConfirmSubscription" in url:
            return http.Response(200, b"<ConfirmSubscriptionResponse/>", {})
        raise http.HttpError(f"unexpected URL {url}")

    monkeypatch.setattr(http, "get", fake_get)
    yield calls
    ses.clear_cert_cache()


@pytest.fixture
def ses_on(db, sns_cert):
    update_settings(
        {
            "bounce.enabled": True,
            "bounce.ses_enabled": True,
            "bounce.ses_topic_arns": [SNS_TOPIC],
        }
    )
    return sns_cert


# --- SendGrid ------------------------------------------------------------------------


@cache
def sendgrid_keys() -> tuple[ec.EllipticCurvePrivateKey, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, base64.b64encode(der).decode()


def sendgrid_headers(body: bytes, timestamp: str | None = None, key=None) -> dict:
    key = key or sendgrid_keys()[0]
    timestamp = timestamp or str(int(datetime.now(UTC).timestamp()))
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE": base64.b64encode(
            signature
        ).decode(),
        "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP": timestamp,
    }


@pytest.fixture
def sendgrid_on(db):
    update_settings(
        {
            "bounce.enabled": True,
            "bounce.sendgrid_enabled": True,
            "bounce.sendgrid_key": sendgrid_keys()[1],
        }
    )
