"""Who may call /api/*: API users, admins by basic auth, sessions with CSRF."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from stmails.services import revoke_api_user
from subscribers.models import MailingList
from tests.conftest import ADMIN_PASSWORD, basic_auth

pytestmark = pytest.mark.django_db

URL = "/api/lists"


def assert_401(response):
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["message"]


def test_it_refuses_requests_without_credentials():
    r = Client().get(URL)
    assert_401(r)
    assert "Basic" in r["WWW-Authenticate"]


def test_it_refuses_a_wrong_token(api_user):
    user, _ = api_user
    assert_401(Client().get(URL, HTTP_AUTHORIZATION=basic_auth(user.name, "wrong")))
    assert_401(Client().get(URL, HTTP_AUTHORIZATION=f"token {user.name}:wrong"))
    assert_401(Client().get(URL, HTTP_AUTHORIZATION="Bearer abc"))
    assert_401(Client().get(URL, HTTP_AUTHORIZATION="Basic !!notbase64"))


def test_it_refuses_a_revoked_api_user(api_user):
    user, token = api_user
    revoke_api_user(user)
    assert_401(Client().get(URL, HTTP_AUTHORIZATION=basic_auth(user.name, token)))
    assert_401(Client().get(URL, HTTP_AUTHORIZATION=f"token {user.name}:{token}"))


def test_it_refuses_a_wrong_admin_password(alice):
    assert_401(Client().get(URL, HTTP_AUTHORIZATION=basic_auth("alice", "nope")))


def test_it_accepts_an_api_user_by_basic_auth(api_user):
    # No admin exists yet: the first-run redirect must not apply to the API.
    user, token = api_user
    r = Client().get(URL, HTTP_AUTHORIZATION=basic_auth(user.name, token))
    assert r.status_code == 200
    assert r.json()["data"]["results"] == []
    user.refresh_from_db()
    assert user.last_used_at is not None


def test_it_accepts_the_token_header(api_user):
    user, token = api_user
    r = Client().get(URL, HTTP_AUTHORIZATION=f"token {user.name}:{token}")
    assert r.status_code == 200


def test_it_accepts_an_admin_password_by_basic_auth(alice):
    r = Client().get(URL, HTTP_AUTHORIZATION=basic_auth("alice", ADMIN_PASSWORD))
    assert r.status_code == 200


def test_it_answers_json_not_a_login_redirect(alice):
    # An admin exists, so FirstRunMiddleware is satisfied; LoginRequiredMiddleware
    # must leave DRF views alone and let them answer 401 themselves.
    r = Client().get("/api/subscribers")
    assert_401(r)
    r = Client().post(URL, data="{}", content_type="application/json")
    assert_401(r)


def test_it_needs_csrf_for_session_writes(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get(URL).status_code == 200
    body = json.dumps({"name": "Session list"})
    r = client.post(URL, data=body, content_type="application/json")
    assert r.status_code == 403
    assert "CSRF" in r.json()["message"]
    assert not MailingList.objects.exists()
    secret = "a" * 32
    client.cookies["csrftoken"] = secret
    r = client.post(
        URL, data=body, content_type="application/json", HTTP_X_CSRFTOKEN=secret
    )
    assert r.status_code == 200, r.json()
    assert MailingList.objects.get().name == "Session list"


def test_it_slows_down_repeated_failures(api_user, settings):
    settings.STMAILS_AUTH_FAILURE_LIMIT = 3
    user, token = api_user
    bad = basic_auth(user.name, "wrong")
    for _ in range(3):
        assert_401(Client().get(URL, HTTP_AUTHORIZATION=bad))
    r = Client().get(URL, HTTP_AUTHORIZATION=basic_auth(user.name, token))
    assert r.status_code == 429
    assert r.json()["message"]
    # Another address is not affected.
    r = Client(REMOTE_ADDR="10.0.0.9").get(
        URL, HTTP_AUTHORIZATION=basic_auth(user.name, token)
    )
    assert r.status_code == 200


def test_a_right_token_is_remembered_briefly_and_revoking_forgets_it(api_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from stmails.auth import check_api_user

    user, token = api_user
    client = Client(HTTP_AUTHORIZATION=f"token {user.name}:{token}")
    assert client.get(URL).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert check_api_user(user.name, token, "127.0.0.1").pk == user.pk
    assert len(queries) == 0  # remembered: no query
    assert check_api_user(user.name, "wrong", "127.0.0.1") is None
    revoke_api_user(user)
    assert_401(client.get(URL))


@pytest.mark.django_db
def test_a_remembered_token_needs_no_client_address():
    from stmails.auth import check_api_user, forget_verified_tokens
    from stmails.services import create_api_user

    user, token = create_api_user("addr-lazy")
    asked: list[int] = []

    def address() -> str:
        asked.append(1)
        return "127.0.0.1"

    forget_verified_tokens()
    assert check_api_user(user.name, token, address).pk == user.pk
    assert check_api_user(user.name, token, address).pk == user.pk
    assert asked == [1]  # only the database check needed it
    assert check_api_user(user.name, "wrong", address) is None
    assert asked == [1, 1]
