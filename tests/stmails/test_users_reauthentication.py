"""Issue 14 item 9: adding an admin or an API user asks for the acting admin's
current password (a hijacked session alone cannot add a lasting credential)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from stmails.models import ApiUser
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_ADMIN = {
    "username": "mallory",
    "email": "m@example.com",
    "password1": "another-long-passphrase",
    "password2": "another-long-passphrase",
}


def field_error(response, field: str) -> str:
    match = re.search(rf'id="id_{field}-error">([^<]*)', response.content.decode())
    return match.group(1) if match else ""


@pytest.mark.parametrize("given", [None, "", "wrong-password"])
def test_adding_an_admin_needs_the_current_password(client_alice, given):
    data = dict(NEW_ADMIN)
    if given is not None:
        data["current_password"] = given
    response = client_alice.post("/settings/users/admins/new", data)
    assert response.status_code == 400
    assert field_error(response, "current_password")
    assert not User.objects.filter(username="mallory").exists()


def test_adding_an_admin_with_the_current_password_works(client_alice):
    data = {**NEW_ADMIN, "current_password": ADMIN_PASSWORD}
    assert client_alice.post("/settings/users/admins/new", data).status_code == 302
    assert User.objects.filter(username="mallory", is_staff=True).exists()


@pytest.mark.parametrize("given", [None, "wrong-password"])
def test_adding_an_api_user_needs_the_current_password(client_alice, given):
    data = {"name": "mallory-bot"}
    if given is not None:
        data["current_password"] = given
    response = client_alice.post("/settings/users/api/new", data)
    assert response.status_code == 400
    assert field_error(response, "current_password")
    assert 'class="secret-once"' not in response.content.decode()
    assert not ApiUser.objects.exists()


def test_the_users_page_asks_for_it_in_both_forms(client_alice):
    page = client_alice.get("/settings/users").content.decode()
    assert page.count('name="current_password"') == 2
    assert page.count('type="password" name="current_password"') == 2


def test_wrong_passwords_count_towards_the_lockout(client_alice, settings):
    settings.STMAILS_AUTH_FAILURE_LIMIT = 3
    for _ in range(3):
        data = {"name": "bot", "current_password": "guess"}
        client_alice.post("/settings/users/api/new", data)
    data = {"name": "bot", "current_password": ADMIN_PASSWORD}
    response = client_alice.post("/settings/users/api/new", data)
    assert response.status_code == 400
    assert "Too many wrong passwords" in field_error(response, "current_password")
    assert not ApiUser.objects.exists()


def test_the_api_offers_no_way_to_create_admins_or_api_users(api_client):
    """Decision (README, Settings → Users): accounts are made in the UI (with the
    current password) or with manage.py on the server, never with an API token."""
    body = {"username": "mallory", "name": "mallory", "password": "x" * 20}
    for path in ("/api/users", "/api/users/api", "/api/api-users", "/api/admins"):
        response = api_client.post(path, body, content_type="application/json")
        assert response.status_code in (404, 405), path
    assert not User.objects.filter(username="mallory").exists()
    assert not ApiUser.objects.filter(name="mallory").exists()
