"""stmails.wsgi: webhook posts take the lean middleware stack, the rest the full one."""

from __future__ import annotations

import io
import json

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from stmails import wsgi
from stmails.config import update_settings
from stmails.lib.input_checks import InvalidInput, loads_json


def call(path: str, body: bytes = b"", method: str = "POST", **headers: str):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        **headers,
    }
    seen: dict = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"] = int(status.split()[0])
        seen["headers"] = dict(response_headers)

    # As Django's test client: the test's own connection must survive the
    # request signals (they close connections between real requests).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = wsgi.application(environ, start_response)
        try:
            seen["body"] = b"".join(result)
        finally:
            result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return seen


def test_which_requests_take_the_lean_stack():
    assert wsgi.is_webhook_post(
        {"REQUEST_METHOD": "POST", "PATH_INFO": "/webhooks/service/postmark"}
    )
    assert wsgi.is_webhook_post(
        {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/webhooks/bounce",
            "HTTP_AUTHORIZATION": "token a:b",
        }
    )
    # A browser session needs the full stack (its CSRF check).
    assert not wsgi.is_webhook_post(
        {"REQUEST_METHOD": "POST", "PATH_INFO": "/webhooks/bounce"}
    )
    assert not wsgi.is_webhook_post({"REQUEST_METHOD": "GET", "PATH_INFO": "/"})


@pytest.mark.django_db
def test_a_bounce_post_through_the_lean_stack(api_user, make_subscriber, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    update_settings({"bounce.enabled": True, "bounce.webhooks_enabled": True})
    make_subscriber("a@example.com")
    user, token = api_user
    body = json.dumps({"email": "a@example.com", "source": "api", "type": "soft"})
    r = call(
        "/webhooks/bounce",
        body.encode(),
        HTTP_AUTHORIZATION=f"token {user.name}:{token}",
    )
    assert r["status"] == 200, r["body"]
    assert json.loads(r["body"]) == {"data": True}
    assert r["headers"].get("X-Content-Type-Options") == "nosniff"
    bad = call(
        "/webhooks/bounce",
        b'{"email": "a@example.com", "source": "api"}',
        HTTP_AUTHORIZATION=f"token {user.name}:{token}",
    )
    assert bad["status"] == 400
    assert json.loads(bad["body"])["message"].startswith("type:")
    assert call("/webhooks/bounce", body.encode())["status"] == 401  # full stack


@pytest.mark.django_db
def test_the_lean_view_hands_the_unusual_to_the_api_view(
    api_user, make_subscriber, settings
):
    settings.ALLOWED_HOSTS = ["testserver"]
    user, token = api_user
    auth = {"HTTP_AUTHORIZATION": f"token {user.name}:{token}"}
    body = json.dumps({"email": "a@example.com", "source": "api", "type": "soft"})
    # Switched off: 503, also before judging a bad body (as the API view does).
    off = call("/webhooks/bounce", body.encode(), **auth)
    assert off["status"] == 503
    assert json.loads(off["body"]) == {"message": "bounce processing is disabled"}
    assert call("/webhooks/bounce", b"{bad", **auth)["status"] == 503
    update_settings({"bounce.enabled": True, "bounce.webhooks_enabled": True})
    wrong = call(
        "/webhooks/bounce", body.encode(), HTTP_AUTHORIZATION=f"token {user.name}:x"
    )
    assert wrong["status"] == 401
    assert "Basic" in wrong["headers"]["WWW-Authenticate"]
    assert call("/webhooks/bounce", b"{bad", **auth)["status"] == 400
    missing = call("/webhooks/bounce", body.encode(), **auth)
    assert missing["status"] == 404
    assert "a@example.com" in json.loads(missing["body"])["message"]
    make_subscriber("a@example.com")
    form = call(
        "/webhooks/bounce",
        b"email=a%40example.com&source=api&type=hard",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        **auth,
    )
    assert form["status"] == 200, form["body"]


@pytest.mark.django_db
def test_the_lean_view_stores_the_body_as_received_once_per_key(
    api_user, make_subscriber, settings
):
    from webhooks.models import WebhookEvent

    settings.ALLOWED_HOSTS = ["testserver"]
    update_settings({"bounce.enabled": True, "bounce.webhooks_enabled": True})
    make_subscriber("a@example.com")
    user, token = api_user
    sent = {
        "email": "a@example.com",
        "source": "api",
        "type": "hard",
        "meta": json.dumps({"additional": "info"}),
        "note": "ünïcode \u2603",
    }
    # Spacing and escapes of its own: the stored value is the same JSON value.
    body = json.dumps(sent, indent=2, ensure_ascii=True).encode()
    headers = {
        "HTTP_AUTHORIZATION": f"token {user.name}:{token}",
        "HTTP_IDEMPOTENCY_KEY": "k-1",
    }
    first = call("/webhooks/bounce", body, **headers)
    again = call("/webhooks/bounce", body, **headers)  # the route resolved once
    for r in (first, again):
        assert r["status"] == 200, r["body"]
        assert json.loads(r["body"]) == {"data": True}
        assert r["headers"]["Content-Type"] == "application/json"
    (event,) = WebhookEvent.objects.filter(provider="webhook")
    assert event.event_key == "k-1"
    assert event.payload == sent
    assert event.type == "hard"


def test_the_lean_view_leaves_numbers_beyond_a_float_to_the_api_view():
    # json reads 1e400 as infinity, which no JSON column stores: the lean view
    # must not store such a body as text (the worker could not read it back);
    # the API view answers it as before.
    with pytest.raises(InvalidInput):
        loads_json('{"x": 1e400}', finite=True)
    assert loads_json('{"x": 1.5e300, "y": 2}', finite=True) == {"x": 1.5e300, "y": 2}


@pytest.mark.django_db(transaction=True)
def test_a_number_beyond_a_float_is_not_stored(api_user, make_subscriber, settings):
    # On SQLite this was a 500 (its JSON check refuses "Infinity" with an
    # IntegrityError): the API's JSON parser now refuses such numbers itself.
    from webhooks.models import WebhookEvent

    settings.ALLOWED_HOSTS = ["testserver"]
    update_settings({"bounce.enabled": True, "bounce.webhooks_enabled": True})
    make_subscriber("a@example.com")
    user, token = api_user
    body = b'{"email": "a@example.com", "source": "api", "type": "soft", "x": 1e400}'
    r = call("/webhooks/bounce", body, HTTP_AUTHORIZATION=f"token {user.name}:{token}")
    assert r["status"] == 400, r["body"]
    assert b"beyond a float" in r["body"]
    assert not WebhookEvent.objects.exists()
