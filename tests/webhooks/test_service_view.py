"""POST /webhooks/service/<provider>: routing, switches, store-then-enqueue."""

from __future__ import annotations

import pytest
from django.test import Client

from stmails.config import update_settings
from tests.conftest import basic_auth
from webhooks.models import WebhookEvent

from .conftest import sample

AUTH = basic_auth("pm", "pw")


def post(body: bytes, slug: str = "postmark", **extra):
    return Client().post(
        f"/webhooks/service/{slug}",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=AUTH,
        **extra,
    )


@pytest.fixture
def postmark_on(db):
    update_settings(
        {
            "bounce.enabled": True,
            "bounce.postmark": {"enabled": True, "username": "pm", "password": "pw"},
        }
    )


def test_it_answers_404_for_an_unknown_provider(db):
    response = post(b"{}", slug="nosuchesp")
    assert response.status_code == 404
    assert response.json() == {"message": "unknown or disabled provider 'nosuchesp'"}


def test_it_reads_the_switch_per_request(postmark_on):
    body = sample("postmark", "hard_bounce_anymail")
    assert post(body).status_code == 200
    update_settings({"bounce.postmark": {"enabled": False}})
    assert post(body).status_code == 404


def test_it_answers_503_while_bounce_processing_is_off(postmark_on):
    update_settings({"bounce.enabled": False})
    response = post(sample("postmark", "hard_bounce_anymail"))
    assert response.status_code == 503
    assert not WebhookEvent.objects.exists()


def test_it_enqueues_new_events_on_commit_only(
    postmark_on, django_capture_on_commit_callbacks, monkeypatch
):
    from webhooks import tasks

    sent = []
    monkeypatch.setattr(
        tasks.process_webhook_events, "delay", lambda **kw: sent.append(kw)
    )
    body = sample("postmark", "hard_bounce_anymail")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert post(body).json() == {"data": True, "stored": 1, "duplicates": 0}
    assert len(callbacks) == 1
    assert sent == [{"event_ids": [WebhookEvent.objects.get().id]}]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert post(body).json() == {"data": True, "stored": 0, "duplicates": 1}
    assert callbacks == []


def test_it_stores_an_ignored_event_without_enqueueing(
    postmark_on, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(sample("postmark", "subscription_change_ignored_anymail"))
    assert response.status_code == 200
    assert callbacks == []
    assert WebhookEvent.objects.get().status == "ignored"


def test_it_needs_no_login_and_no_csrf_token(postmark_on):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/webhooks/service/postmark",
        data=sample("postmark", "hard_bounce_anymail"),
        content_type="application/json",
        HTTP_AUTHORIZATION=AUTH,
    )
    assert response.status_code == 200


def test_the_custom_route_exists(db):
    response = Client().post(
        "/webhooks/service/custom/unknown-slug",
        data=b"{}",
        content_type="application/json",
    )
    assert response.status_code == 404
