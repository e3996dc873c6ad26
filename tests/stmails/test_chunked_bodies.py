"""Issue 14 item 9: a chunked request body (no Content-Length) is read, or
refused with 411; never silently taken for an empty body."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client

from stmails import chunked_bodies
from stmails.config import get_value

pytestmark = pytest.mark.django_db


def chunked_put(client: Client, path: str, body: bytes, *, terminated: bool):
    """A PUT as a WSGI server passes a chunked request: no CONTENT_LENGTH, the
    decoded body on wsgi.input, and (gunicorn) wsgi.input_terminated."""
    environ = {
        "CONTENT_LENGTH": "",
        "CONTENT_TYPE": "application/json",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
    }
    if terminated:
        environ["wsgi.input_terminated"] = True
    return client.generic("PUT", path, b"", **environ)


def test_a_chunked_settings_update_is_applied(api_client):
    body = json.dumps({"app.site_name": "Chunked news"}).encode()
    response = chunked_put(api_client, "/api/settings", body, terminated=True)
    assert response.status_code == 200, response.content
    assert get_value("app.site_name") == "Chunked news"


def test_a_chunked_body_the_server_did_not_delimit_gets_411(api_client):
    body = json.dumps({"app.site_name": "Lost"}).encode()
    response = chunked_put(api_client, "/api/settings", body, terminated=False)
    assert response.status_code == 411
    assert "Content-Length" in response.json()["message"]
    assert get_value("app.site_name") != "Lost"


def test_an_oversized_chunked_body_gets_413(api_client, monkeypatch):
    monkeypatch.setattr(chunked_bodies, "max_chunked_bytes", lambda: 1000)
    body = json.dumps({"app.site_name": "x" * 2000}).encode()
    response = chunked_put(api_client, "/api/settings", body, terminated=True)
    assert response.status_code == 413
    assert get_value("app.site_name") != "x" * 2000
