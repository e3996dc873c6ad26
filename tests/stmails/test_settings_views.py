"""Settings → General and SMTP pages: save, show errors beside the field."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from stmails import config
from stmails.models import Setting

MASK = "\u2022" * 8
UUID_A = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"


def general_form(**kw):
    data = {
        "app__site_name": "Newsroom",
        "app__root_url": "https://news.example.com",
        "app__from_email": "Newsroom <news@example.com>",
        "app__send_optin_confirmation": "on",
    }
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def test_it_redirects_settings_to_general(client_alice):
    r = client_alice.get("/settings/")
    assert r.status_code == 302 and r["Location"] == "/settings/general"


def test_it_needs_login(alice):
    r = Client().get("/settings/general")
    assert r.status_code == 302 and "/login" in r["Location"]


def test_it_shows_the_tabs_and_current_values(client_alice):
    config.update_settings({"app.site_name": "Shown name"})
    page = client_alice.get("/settings/general").content.decode()
    for tab in (
        'href="/settings/general"',
        'href="/settings/smtp"',
        'href="/settings/users"',
    ):
        assert tab in page
    assert 'value="Shown name"' in page


def test_it_saves_the_general_settings(client_alice):
    r = client_alice.post("/settings/general", general_form())
    assert r.status_code == 302 and r["Location"] == "/settings/general"
    values = config.get_values(
        "app.site_name", "app.root_url", "app.from_email",
        "app.send_optin_confirmation", "app.enable_public_subscription_page",
    )  # fmt: skip
    assert values == {
        "app.site_name": "Newsroom",
        "app.root_url": "https://news.example.com",
        "app.from_email": "Newsroom <news@example.com>",
        "app.send_optin_confirmation": True,
        # An unchecked box is false.
        "app.enable_public_subscription_page": False,
    }


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("app__root_url", "ftp://x", "must be an http:// or https:// URL"),
        ("app__from_email", "not an address", "must be an email address"),
        ("app__site_name", "", "is required"),
    ],
)
def test_it_shows_errors_beside_the_field_and_saves_nothing(
    client_alice, field, value, error
):
    r = client_alice.post("/settings/general", general_form(**{field: value}))
    assert r.status_code == 400
    page = r.content.decode()
    assert f'<div class="error" id="id_{field}-error">{error}' in page
    assert not Setting.objects.filter(key__startswith="app.").exists()


def test_it_404s_on_an_unknown_section(client_alice):
    assert client_alice.get("/settings/nope").status_code == 404


# --- SMTP ---------------------------------------------------------------------------


def smtp_form(**kw):
    data = {
        "enabled": "on", "host": "smtp.example.com", "port": "587",
        "auth_protocol": "login", "username": "me", "password": "top-secret",
        "hello_hostname": "", "tls_type": "STARTTLS", "max_conns": "10",
        "idle_timeout": "15s", "wait_timeout": "5s", "max_msg_retries": "2",
        "email_headers": '[{"Return-Path": "bounces@example.com"}]', "action": "save",
    }  # fmt: skip
    data.update(kw)
    return data


@pytest.fixture
def one_server(db):
    config.update_settings(
        {"smtp": [{"uuid": UUID_A, "host": "old.example.com", "password": "stored-pw"}]}
    )


def test_it_lists_smtp_servers_without_passwords(client_alice, one_server):
    page = client_alice.get("/settings/smtp").content.decode()
    assert "old.example.com" in page and "stored-pw" not in page
    assert f"/settings/smtp/{UUID_A}/test" in page


def test_it_adds_an_smtp_server(client_alice, one_server):
    r = client_alice.post("/settings/smtp/new", smtp_form())
    assert r.status_code == 302, r.content.decode()
    servers = config.get_value("smtp")
    assert [s["host"] for s in servers] == ["old.example.com", "smtp.example.com"]
    new = servers[1]
    assert new["password"] == "top-secret"
    assert new["email_headers"] == [{"Return-Path": "bounces@example.com"}]
    assert new["tls_skip_verify"] is False and new["port"] == 587
    assert "top-secret" not in json.dumps(Setting.objects.get(key="smtp").value)


def test_it_edits_a_server_keeping_the_masked_password(client_alice, one_server):
    page = client_alice.get(f"/settings/smtp/{UUID_A}").content.decode()
    assert f'value="{MASK}"' in page and "stored-pw" not in page
    r = client_alice.post(
        f"/settings/smtp/{UUID_A}",
        smtp_form(
            password=MASK, max_conns="3", host="old.example.com", port="25", username=""
        ),
    )
    assert r.status_code == 302
    (server,) = config.get_value("smtp")
    assert server["uuid"] == UUID_A and server["max_conns"] == 3
    assert server["password"] == "stored-pw"
    assert server["host"] == "old.example.com"


def test_it_replaces_the_password_when_changed(client_alice, one_server):
    client_alice.post(f"/settings/smtp/{UUID_A}", smtp_form(password="fresh-pw"))
    assert config.get_value("smtp")[0]["password"] == "fresh-pw"


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("email_headers", "[{oops", "not valid JSON"),
        ("email_headers", '{"a": "b"}', "must be a list"),
        ("port", "70000", "must be between 1 and 65535"),
        ("idle_timeout", "soon", "must be a duration"),
        ("host", "", "is required"),
    ],
)
def test_it_shows_smtp_errors_beside_the_field(
    client_alice, one_server, field, value, error
):
    r = client_alice.post(f"/settings/smtp/{UUID_A}", smtp_form(**{field: value}))
    assert r.status_code == 400
    page = r.content.decode()
    assert f'id="id_{field}-error">{error}' in page, page
    assert config.get_value("smtp")[0]["host"] == "old.example.com"


def test_it_deletes_a_server_but_not_the_last(client_alice, one_server):
    client_alice.post("/settings/smtp/new", smtp_form())
    r = client_alice.post(f"/settings/smtp/{UUID_A}/delete")
    assert r.status_code == 302
    servers = config.get_value("smtp")
    assert [s["host"] for s in servers] == ["smtp.example.com"]
    r = client_alice.post(f"/settings/smtp/{servers[0]['uuid']}/delete", follow=True)
    assert "Keep at least one SMTP server" in r.content.decode()
    assert len(config.get_value("smtp")) == 1


def test_it_404s_on_an_unknown_server(client_alice, one_server):
    r = client_alice.get("/settings/smtp/cccccccc-cccc-4ccc-8ccc-cccccccccccc")
    assert r.status_code == 404


def test_the_smtp_form_takes_listmonk_name_retry_delay_and_from_addresses(
    client_alice, one_server
):
    page = client_alice.get(f"/settings/smtp/{UUID_A}").content.decode()
    assert 'name="from_addresses"' in page and 'name="msg_retry_delay"' in page
    r = client_alice.post(
        f"/settings/smtp/{UUID_A}",
        smtp_form(
            host="old.example.com", port="25", password=MASK, username="",
            name="email-news", msg_retry_delay="2s",
            from_addresses='["News@Acme.example", "@acme.org"]',
        ),
    )  # fmt: skip
    assert r.status_code == 302, r.content.decode()
    server = config.get_value("smtp")[0]
    assert server["name"] == "email-news"
    assert server["msg_retry_delay"] == "2s"
    assert server["from_addresses"] == ["news@acme.example", "acme.org"]
    assert server["password"] == "stored-pw"
    page = client_alice.get("/settings/smtp").content.decode()
    assert "email-news" in page and "news@acme.example, acme.org" in page

    r = client_alice.post(
        f"/settings/smtp/{UUID_A}",
        smtp_form(host="old.example.com", port="25", password=MASK, username="",
                  from_addresses='["nobody at all"]'),
    )  # fmt: skip
    assert r.status_code == 400
    assert "must be an address" in str(r.context["form"].errors["from_addresses"])
