"""GET/PUT /api/settings and PUT /api/settings/{key}, listmonk's shapes."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from stmails import config
from stmails.lib import crypto
from stmails.models import Setting
from tests.conftest import ADMIN_PASSWORD, basic_auth

MASK = "\u2022" * 8
UUID_A = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
UUID_B = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"


def put(client, body, path="/api/settings"):
    return client.put(path, json.dumps(body), content_type="application/json")


def smtp(uuid, password, host="smtp.example.com"):
    return {
        "uuid": uuid,
        "host": host,
        "port": 587,
        "username": "u",
        "password": password,
    }


@pytest.fixture
def two_servers(db):
    config.update_settings({"smtp": [smtp(UUID_A, "pass-a"), smtp(UUID_B, "pass-b")]})


def stored_passwords() -> dict[str, str]:
    return {s["uuid"]: s["password"] for s in config.get_value("smtp")}


def test_it_returns_the_flat_key_map_with_defaults(api_client):
    r = api_client.get("/api/settings")
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["app.site_name"] == "stmails"
    assert data["app.send_optin_confirmation"] is True
    assert data["app.enable_public_subscription_page"] is True
    assert isinstance(data["smtp"], list) and data["smtp"][0]["tls_type"] == "STARTTLS"


def test_it_masks_passwords_on_read(api_client, two_servers):
    data = api_client.get("/api/settings").json()["data"]
    assert [s["password"] for s in data["smtp"]] == [MASK, MASK]
    assert "pass-a" not in json.dumps(data)


def test_it_updates_a_subset_of_keys(api_client, two_servers):
    r = put(
        api_client, {"app.site_name": "Newsroom", "app.send_optin_confirmation": False}
    )
    assert r.status_code == 200 and r.json() == {"data": True, "unused_keys": []}
    assert config.get_value("app.site_name") == "Newsroom"
    assert config.get_value("app.send_optin_confirmation") is False
    assert stored_passwords() == {UUID_A: "pass-a", UUID_B: "pass-b"}


def test_it_takes_back_the_whole_map_it_returned(api_client, two_servers):
    data = api_client.get("/api/settings").json()["data"]
    data["app.root_url"] = "https://lists.example.com/"
    data["smtp"][1]["max_conns"] = 3
    r = put(api_client, data)
    assert r.status_code == 200, r.content
    assert config.get_value("app.root_url") == "https://lists.example.com"
    assert config.get_value("smtp")[1]["max_conns"] == 3
    # The masked passwords sent back kept the stored ones.
    assert stored_passwords() == {UUID_A: "pass-a", UUID_B: "pass-b"}


def test_it_keeps_the_stored_password_when_empty_and_matches_by_uuid(
    api_client, two_servers
):
    # Reordered, one empty and one masked: each keeps its own stored password.
    r = put(api_client, {"smtp": [smtp(UUID_B, ""), smtp(UUID_A, MASK)]})
    assert r.status_code == 200, r.content
    assert stored_passwords() == {UUID_A: "pass-a", UUID_B: "pass-b"}


def test_it_replaces_and_encrypts_a_new_password(api_client, two_servers):
    r = put(
        api_client, {"smtp": [smtp(UUID_A, "brand-new-secret"), smtp(UUID_B, MASK)]}
    )
    assert r.status_code == 200, r.content
    assert stored_passwords() == {UUID_A: "brand-new-secret", UUID_B: "pass-b"}
    row = Setting.objects.get(key="smtp")
    raw = json.dumps(row.value)
    assert "brand-new-secret" not in raw and "pass-b" not in raw
    assert row.value[0]["password"].startswith(crypto.PREFIX)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # listmonk's namespaces store unknown keys (test_listmonk_settings.py).
        ({"alerts.nope": 1}, "alerts.nope: unknown settings key"),
        ({"app.site_name": ""}, "app.site_name: is required"),
        (
            {"app.root_url": "ftp://x"},
            "app.root_url: must be an http:// or https:// URL",
        ),
        (
            {"app.send_optin_confirmation": "yes"},
            "app.send_optin_confirmation: must be",
        ),
        ({"app.from_email": "nobody"}, "app.from_email: must be an email address"),
        (
            {"smtp": [{"host": "h", "port": 0}]},
            "smtp[0].port: must be between 1 and 65535",
        ),
        (
            {"smtp": [{"host": "h", "tls_type": "SSL"}]},
            "smtp[0].tls_type: must be one of",
        ),
        ({"smtp": [{"host": "h", "bogus": 1}]}, "smtp[0].bogus: unknown field"),
        (
            {"smtp": [{"host": "h", "email_headers": {"a": "b"}}]},
            "smtp[0].email_headers",
        ),
        ([1, 2], "settings: must be a JSON object"),
    ],
)
def test_it_rejects_bad_values_naming_the_key_and_writes_nothing(
    api_client, body, message
):
    if isinstance(body, dict):
        body = {"app.site_name": "Changed", **body}
    r = put(api_client, body)
    assert r.status_code == 400
    assert r.json()["message"].startswith(message), r.json()
    assert config.get_value("app.site_name") == "stmails"
    assert not Setting.objects.filter(key="app.site_name").exists()


def test_it_rejects_malformed_json(api_client):
    r = api_client.put("/api/settings", "{nope", content_type="application/json")
    assert r.status_code == 400
    assert "message" in r.json()


def test_it_puts_one_key_as_a_raw_json_value(api_client, two_servers):
    assert put(api_client, "Raw name", "/api/settings/app.site_name").status_code == 200
    assert config.get_value("app.site_name") == "Raw name"
    r = put(api_client, False, "/api/settings/app.enable_public_subscription_page")
    assert r.status_code == 200, r.content
    assert config.get_value("app.enable_public_subscription_page") is False
    r = put(api_client, [smtp(UUID_B, MASK)], "/api/settings/smtp")
    assert r.status_code == 200
    assert stored_passwords() == {UUID_B: "pass-b"}


def test_it_rejects_a_bad_raw_value_or_unknown_key(api_client):
    r = put(api_client, 5, "/api/settings/app.site_name")
    assert r.status_code == 400
    assert r.json() == {"message": "app.site_name: must be a string"}
    r = put(api_client, "x", "/api/settings/metrics.unknown")
    assert r.json() == {"message": "metrics.unknown: unknown settings key"}


def test_it_needs_auth(db, api_user):
    assert Client().get("/api/settings").status_code == 401
    r = Client().put("/api/settings", "{}", content_type="application/json")
    assert r.status_code == 401
    assert "message" in r.json()
    bad = Client(HTTP_AUTHORIZATION=basic_auth(api_user[0].name, "wrong-token"))
    assert bad.get("/api/settings").status_code == 401


def test_it_accepts_the_token_header_and_admin_basic_auth(alice, api_user):
    user, token = api_user
    r = Client(HTTP_AUTHORIZATION=f"token {user.name}:{token}").get("/api/settings")
    assert r.status_code == 200
    r = Client(HTTP_AUTHORIZATION=basic_auth("alice", ADMIN_PASSWORD)).get(
        "/api/settings"
    )
    assert r.status_code == 200
