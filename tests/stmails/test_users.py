"""Settings → Users: admins (add, delete, last-admin rule) and API users."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from stmails import config, services
from stmails.models import ApiUser, hash_token
from tests.conftest import ADMIN_PASSWORD, basic_auth

User = get_user_model()


def admin_form(username="bob", password="another-long-passphrase", **kw):  # noqa: S107
    return {"username": username, "email": f"{username}@example.com",
            "password1": password, "password2": password,
            "current_password": ADMIN_PASSWORD, **kw}  # fmt: skip


def api_form(name):
    return {"name": name, "current_password": ADMIN_PASSWORD}


def test_it_lists_admins_and_api_users(client_alice, api_user):
    page = client_alice.get("/settings/users").content.decode()
    assert "alice@example.com" in page
    assert "bot" in page and api_user[1] not in page


def test_it_adds_an_admin_who_can_log_in(client_alice):
    r = client_alice.post("/settings/users/admins/new", admin_form())
    assert r.status_code == 302
    bob = User.objects.get(username="bob")
    assert bob.is_staff and bob.check_password("another-long-passphrase")
    assert Client().login(username="bob", password="another-long-passphrase")


@pytest.mark.parametrize(
    ("form", "field", "error"),
    [
        (admin_form(username="alice"), "username", "This username is taken."),
        (admin_form(password2="different-passphrase"), "password2", "differ"),
        (admin_form(password="short"), "password1", "too short"),
    ],
)
def test_it_shows_admin_form_errors_beside_the_field(client_alice, form, field, error):
    r = client_alice.post("/settings/users/admins/new", form)
    assert r.status_code == 400
    m = re.search(rf'id="id_{field}-error">([^<]*)', r.content.decode())
    assert m and error in m.group(1)
    assert User.objects.count() == 1


def test_it_deletes_another_admin(client_alice):
    bob = services.create_admin(username="bob", email="", password="x" * 12)
    r = client_alice.post(f"/settings/users/admins/{bob.pk}/delete")
    assert r.status_code == 302
    assert not User.objects.filter(username="bob").exists()


def test_it_never_deletes_yourself(client_alice, alice):
    services.create_admin(username="bob", email="", password="x" * 12)
    r = client_alice.post(f"/settings/users/admins/{alice.pk}/delete", follow=True)
    assert "you cannot delete your own account" in r.content.decode()
    assert User.objects.filter(pk=alice.pk).exists()


def test_it_never_deletes_the_last_admin(alice):
    # Only reachable by a non-admin session (e.g. a demoted user): the rule is in
    # the service so no entry point can break it.
    other = User.objects.create_user(username="ops", password="x" * 12)
    with pytest.raises(services.AdminError, match="last admin"):
        services.delete_admin(alice, acting_user=other)
    assert User.objects.filter(pk=alice.pk).exists()


def test_it_hides_delete_buttons_for_yourself_and_the_last_admin(client_alice, alice):
    page = client_alice.get("/settings/users").content.decode()
    assert f"/settings/users/admins/{alice.pk}/delete" not in page


def test_it_creates_an_api_user_and_shows_the_token_once(client_alice, alice):
    r = client_alice.post("/settings/users/api/new", api_form("deploy-bot"))
    assert r.status_code == 200
    page = r.content.decode()
    tokens = re.findall(r'<div class="secret-once">([A-Za-z0-9_-]{20,})</div>', page)
    assert len(tokens) == 1
    token = tokens[0]
    root = config.get_value("app.root_url")
    assert f"curl -u 'deploy-bot:{token}' {root}/api/subscribers" in page
    user = ApiUser.objects.get(name="deploy-bot")
    assert user.token_hash == hash_token(token) and token not in user.token_hash

    # Never again: the list shows only the hint.
    assert token not in client_alice.get("/settings/users").content.decode()

    # The token works against the API with basic auth, and records its use.
    api = Client(HTTP_AUTHORIZATION=basic_auth("deploy-bot", token))
    assert api.get("/api/settings").status_code == 200
    user.refresh_from_db()
    assert user.last_used_at is not None


def test_it_rejects_bad_and_duplicate_api_user_names(client_alice, api_user):
    r = client_alice.post("/settings/users/api/new", api_form("has space"))
    assert r.status_code == 400
    assert 'id="id_name-error">use 1-100 characters' in r.content.decode()
    r = client_alice.post("/settings/users/api/new", api_form("bot"))
    assert 'id="id_name-error">an API user named &#x27;bot&#x27; already exists' in (
        r.content.decode()
    )
    assert 'class="secret-once"' not in r.content.decode()
    assert ApiUser.objects.count() == 1


def test_it_revokes_an_api_user_whose_token_then_gets_401(client_alice, api_user):
    user, token = api_user
    api = Client(HTTP_AUTHORIZATION=basic_auth(user.name, token))
    assert api.get("/api/settings").status_code == 200
    r = client_alice.post(f"/settings/users/api/{user.pk}/revoke")
    assert r.status_code == 302
    r = api.get("/api/settings")
    assert r.status_code == 401 and "message" in r.json()
    page = client_alice.get("/settings/users").content.decode()
    assert "revoked" in page


def test_it_lets_an_admin_use_the_api_with_basic_auth(alice):
    api = Client(HTTP_AUTHORIZATION=basic_auth("alice", ADMIN_PASSWORD))
    assert api.get("/api/settings").status_code == 200
