"""POST /webhooks/service/custom/<slug>: verified, stored first, recorded once."""

from __future__ import annotations

import pytest
from django.test import Client
from kombu.exceptions import OperationalError

from bounces.models import Bounce
from stmails.config import get_masked_settings, get_value, update_settings
from webhooks import tasks
from webhooks.models import WebhookEvent
from webhooks.providers.custom_config import CUSTOM_DEFAULTS
from webhooks.providers.verification import hmac_sha256_hex
from webhooks.service_views import MAX_BODY_BYTES

BODY = b'{"events": [{"id": "e1", "type": "bounced", "to": "gone@example.com"}, {"id": "e2", "type": "opened", "to": "gone@example.com"}]}'


def endpoint(**changes) -> dict:
    return {
        **CUSTOM_DEFAULTS,
        "slug": "acme",
        "name": "Acme Mail",
        "auth": "hmac",
        "secret": "acme-key",
        "signature_header": "X-Acme-Signature",
        "batch_path": "events",
        "email_path": "to",
        "type_path": "type",
        "id_path": "id",
        "type_map": {"bounced": "hard"},
        **changes,
    }


@pytest.fixture
def acme(db):
    update_settings({"bounce.enabled": True, "bounce.custom_providers": [endpoint()]})


def send(
    body: bytes, signature: str | None = None, slug: str = "acme", method: str = "post"
):
    extra = {"HTTP_X_ACME_SIGNATURE": signature} if signature is not None else {}
    return Client().generic(
        method.upper(),
        f"/webhooks/service/custom/{slug}",
        data=body,
        content_type="application/json",
        **extra,
    )


def test_it_records_a_signed_event_once(
    acme, make_subscriber, django_capture_on_commit_callbacks
):
    subscriber = make_subscriber("gone@example.com")
    signature = hmac_sha256_hex("acme-key", BODY)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = send(BODY, signature)
        assert response.status_code == 200, response.content
    assert (
        WebhookEvent.objects.filter(provider="custom:acme").count() == 2
    )  # the bounce and the open
    bounce = Bounce.objects.get()
    assert (bounce.subscriber_id, bounce.type, bounce.source) == (
        subscriber.id,
        "hard",
        "custom:acme",
    )
    assert bounce.event_key == "custom:acme:e1"


def test_it_refuses_bad_or_missing_signatures_and_stores_nothing(acme):
    assert send(BODY, hmac_sha256_hex("wrong", BODY)).status_code == 401
    assert send(BODY).status_code == 401
    assert not WebhookEvent.objects.exists()


def test_it_answers_400_413_405_and_404(acme):
    assert send(b"{oops", hmac_sha256_hex("acme-key", b"{oops")).status_code == 400
    big = BODY + b" " * MAX_BODY_BYTES
    assert send(big, hmac_sha256_hex("acme-key", big)).status_code == 413
    assert send(BODY, method="get").status_code == 405
    assert (
        send(BODY, hmac_sha256_hex("acme-key", BODY), slug="other").status_code == 404
    )


def test_it_answers_404_while_the_endpoint_is_disabled(db):
    update_settings(
        {"bounce.enabled": True, "bounce.custom_providers": [endpoint(enabled=False)]}
    )
    assert send(BODY, hmac_sha256_hex("acme-key", BODY)).status_code == 404


def test_it_keeps_secrets_encrypted_and_masked(acme):
    from stmails.models import Setting

    stored = Setting.objects.get(key="bounce.custom_providers").value[0]
    assert stored["secret"].startswith("enc:v1:")
    assert "acme-key" not in str(stored)
    assert get_masked_settings()["bounce.custom_providers"][0]["secret"] == "\u2022" * 8
    assert get_value("bounce.custom_providers")[0]["secret"] == "acme-key"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"slug": "Not A Slug"}, "slug"),
        ({"email_path": ""}, "email_path"),
        ({"type_path": "a..b"}, "type_path"),
        ({"type_map": {"x": "deleted"}}, "type_map.x"),
        ({"auth": "oauth"}, "auth"),
        ({"auth": "basic", "username": ""}, "username"),
    ],
)
def test_it_validates_endpoints(db, changes, field):
    from stmails.config import SettingsError

    with pytest.raises(SettingsError) as err:
        update_settings({"bounce.custom_providers": [endpoint(**changes)]})
    assert err.value.field == f"bounce.custom_providers[0].{field}"


def test_it_refuses_two_endpoints_with_one_slug(db):
    from stmails.config import SettingsError

    with pytest.raises(SettingsError) as err:
        update_settings(
            {"bounce.custom_providers": [endpoint(), endpoint(name="Again")]}
        )
    assert err.value.field == "bounce.custom_providers[1].slug"


@pytest.mark.django_db(transaction=True)
def test_a_stored_event_is_answered_2xx_while_the_broker_is_down(monkeypatch, caplog):
    # The provider pipeline's promise (service_views.receive), kept for custom
    # endpoints too: stored is stored, the retry job processes it.
    update_settings({"bounce.enabled": True, "bounce.custom_providers": [endpoint()]})

    def broker_down(**kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(tasks.process_webhook_events, "delay", broker_down)
    response = Client(raise_request_exception=False).post(
        "/webhooks/service/custom/acme",
        data=BODY,
        content_type="application/json",
        HTTP_X_ACME_SIGNATURE=hmac_sha256_hex("acme-key", BODY),
    )
    assert response.status_code == 200
    assert response.json() == {"data": True, "stored": 2, "duplicates": 0}
    # The bounce waits for the beat job that processes received events.
    received = WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED)
    assert received.count() == 1
    assert not Bounce.objects.exists()
    assert "not enqueued" in caplog.text
