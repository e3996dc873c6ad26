"""Postal: samples and RSA signatures (SHA-256 preferred, SHA-1 only when alone)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bounces.models import Bounce
from tests.webhooks.conftest import expected, outcome, sample, samples
from tests.webhooks.provider_requests import enable, post
from webhooks.models import WebhookEvent
from webhooks.providers.base import VerificationError
from webhooks.providers.postal import Postal

BODY = sample("postal", "delivery_failed_hardfail_anymail")


def make_key() -> tuple[rsa.RSAPrivateKey, str]:
    """A key pair; the public half as Postal shows it (bare base64 SPKI)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, base64.b64encode(der).decode()


PRIVATE, PUBLIC = make_key()
OTHER_PRIVATE, OTHER_PUBLIC = make_key()


def sign(body: bytes, algorithm, private=PRIVATE) -> str:
    return base64.b64encode(private.sign(body, padding.PKCS1v15(), algorithm)).decode()


@pytest.mark.parametrize("name", samples("postal"))
def test_it_gives_each_sample_its_expected_outcome(name):
    assert outcome(Postal().parse(sample("postal", name), {})) == expected(
        "postal", name
    )


def test_it_verifies_sha256_with_either_key_and_pem_too():
    headers = {"X-Postal-Signature-256": sign(BODY, hashes.SHA256())}
    Postal().verify(BODY, headers, {}, {"public_key": PUBLIC})
    Postal().verify(
        BODY, headers, {}, {"public_key": OTHER_PUBLIC, "previous_public_key": PUBLIC}
    )
    pem = (
        PRIVATE.public_key()
        .public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        .decode()
    )
    Postal().verify(BODY, headers, {}, {"public_key": pem})
    with pytest.raises(VerificationError):
        Postal().verify(BODY + b" ", headers, {}, {"public_key": PUBLIC})


def test_it_uses_sha1_only_when_no_sha256_signature_is_sent():
    good_sha1 = sign(BODY, hashes.SHA1())  # noqa: S303 (Postal's legacy header)
    Postal().verify(BODY, {"X-Postal-Signature": good_sha1}, {}, {"public_key": PUBLIC})
    forged_256 = sign(BODY, hashes.SHA256(), OTHER_PRIVATE)
    with pytest.raises(VerificationError):
        Postal().verify(
            BODY,
            {"X-Postal-Signature-256": forged_256, "X-Postal-Signature": good_sha1},
            {},
            {"public_key": PUBLIC},
        )


def test_it_refuses_unsigned_requests_and_unreadable_keys():
    with pytest.raises(VerificationError):
        Postal().verify(BODY, {}, {}, {"public_key": PUBLIC})
    headers = {"X-Postal-Signature-256": sign(BODY, hashes.SHA256())}
    with pytest.raises(VerificationError) as err:
        Postal().verify(BODY, headers, {}, {"public_key": "not a key"})
    assert "cannot be read" in err.value.message


def test_it_reads_message_bounced_as_hard():
    body = (
        b'{"event": "MessageBounced", "timestamp": 1, "uuid": "u-1", "payload": '
        b'{"original_message": {"to": "Gone@example.com", "message_id": "m1@x"}, '
        b'"bounce": {"to": "bounces@x"}}}'
    )
    assert outcome(Postal().parse(body, {})) == [
        {"email": "gone@example.com", "type": "hard", "message_id": "m1@x"}
    ]


@pytest.mark.django_db
def test_it_records_a_signed_bounce_once(
    make_subscriber, django_capture_on_commit_callbacks
):
    make_subscriber(email="failed@example.com")
    enable("bounce.postal", public_key=PUBLIC)
    headers = {"X-Postal-Signature-256": sign(BODY, hashes.SHA256())}
    with django_capture_on_commit_callbacks(execute=True):
        assert post("postal", BODY, headers).status_code == 200
        assert post("postal", BODY, headers).status_code == 200
    assert WebhookEvent.objects.filter(provider="postal").count() == 1
    assert Bounce.objects.get().type == "hard"
    forged = {"X-Postal-Signature-256": sign(BODY, hashes.SHA256(), OTHER_PRIVATE)}
    assert post("postal", BODY, forged).status_code == 401


@pytest.mark.django_db
def test_it_refuses_to_store_a_key_it_cannot_read():
    from stmails.config import SettingsError, update_settings

    with pytest.raises(SettingsError) as err:
        update_settings({"bounce.postal": {"enabled": True, "public_key": "garbage"}})
    assert err.value.field == "bounce.postal.public_key"
    update_settings({"bounce.postal": {"enabled": True, "public_key": PUBLIC}})
