"""GET /api/health, as listmonk's, and as the PyPI `listmonk` client's login() calls it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from tests.conftest import ADMIN_PASSWORD, basic_auth

pytestmark = pytest.mark.django_db

# listmonk 0.6.32's login()/is_healthy(): GET with basic auth and these headers.
CLIENT_HEADERS = {
    "CONTENT_TYPE": "application/json",
    "HTTP_USER_AGENT": "listmonk-client/0.6.32",
}


@pytest.fixture(autouse=True)
def _local_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    cache.clear()


def test_it_answers_true_to_the_pypi_clients_login(api_user):
    user, token = api_user
    r = Client().get(
        "/api/health",
        HTTP_AUTHORIZATION=basic_auth(user.name, token),
        **CLIENT_HEADERS,
    )
    assert (r.status_code, r.json()) == (200, {"data": True})
    assert r["Content-Type"] == "application/json"


def test_it_accepts_the_token_header_and_an_admins_login(api_user, alice):
    user, token = api_user
    r = Client().get("/api/health", HTTP_AUTHORIZATION=f"token {user.name}:{token}")
    assert r.json() == {"data": True}
    r = Client().get(
        "/api/health", HTTP_AUTHORIZATION=basic_auth("alice", ADMIN_PASSWORD)
    )
    assert r.json() == {"data": True}


def test_it_refuses_missing_or_wrong_credentials_so_login_fails(api_user):
    # listmonk's /api/health sits behind its auth middleware: login() must
    # return False for a wrong password, which it learns from this status.
    user, _ = api_user
    for headers in ({}, {"HTTP_AUTHORIZATION": basic_auth(user.name, "wrong")}):
        r = Client().get("/api/health", **headers, **CLIENT_HEADERS)
        assert r.status_code == 401
        assert r.json()["message"]
        assert "data" not in r.json()


def test_it_only_answers_get(api_client):
    assert api_client.post("/api/health").status_code == 405
