"""The settings audit log: who changed which key, old and new value, masked."""

from __future__ import annotations

import json
from pathlib import Path

from stmails import config
from stmails.models import Setting, SettingsChange

MASK = "\u2022" * 8
UUID_A = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"


def put(client, body, path="/api/settings"):
    return client.put(path, json.dumps(body), content_type="application/json")


def smtp(password: str) -> list[dict]:
    return [
        {
            "uuid": UUID_A,
            "host": "smtp.example.com",
            "port": 587,
            "username": "u",
            "password": password,
        }
    ]


def test_it_records_api_changes_with_the_api_user_as_actor(api_client):
    r = put(api_client, {"app.site_name": "Renamed", "app.concurrency": 3})
    assert r.status_code == 200
    rows = {c.key: c for c in SettingsChange.objects.all()}
    assert set(rows) == {"app.site_name", "app.concurrency"}
    site = rows["app.site_name"]
    assert site.actor == "api:bot"
    assert (site.old_value, site.new_value) == ("stmails", "Renamed")


def test_it_masks_passwords_in_old_and_new_values(api_client):
    config.update_settings({"smtp": smtp("first-secret")})
    r = put(api_client, smtp("second-secret"), path="/api/settings/smtp")
    assert r.status_code == 200
    first, second = SettingsChange.objects.filter(key="smtp").order_by("id")
    assert first.actor == "system"
    assert second.actor == "api:bot"
    assert second.old_value[0]["password"] == MASK
    assert second.new_value[0]["password"] == MASK
    dumped = json.dumps([first.old_value, first.new_value, second.new_value])
    assert "first-secret" not in dumped and "second-secret" not in dumped
    # Not the ciphertext either: the log holds no form of the secret.
    stored = Setting.objects.get(key="smtp").value[0]["password"]
    assert stored not in dumped


def test_it_records_nothing_for_an_unchanged_value(api_client):
    assert put(api_client, {"app.site_name": "stmails"}).status_code == 200
    assert not SettingsChange.objects.exists()


def test_it_records_nothing_when_validation_fails(api_client):
    r = put(api_client, {"app.site_name": "Renamed", "app.concurrency": 0})
    assert r.status_code == 400
    assert not SettingsChange.objects.exists()
    assert config.get_value("app.site_name") == "stmails"


def test_it_records_the_admin_on_the_settings_pages(client_alice):
    data = {
        "app__site_name": "From the page",
        "app__root_url": "https://news.example.com",
        "app__from_email": "Newsroom <news@example.com>",
        "app__send_optin_confirmation": "on",
    }
    r = client_alice.post("/settings/general", data)
    assert r.status_code == 302
    change = SettingsChange.objects.get(key="app.site_name")
    assert change.actor == "alice"
    assert change.new_value == "From the page"


def test_it_lists_changes_on_the_audit_page(client_alice, api_client):
    put(api_client, {"app.site_name": "Renamed"})
    r = client_alice.get("/settings/audit")
    assert r.status_code == 200
    html = r.content.decode()
    assert "api:bot" in html
    assert "app.site_name" in html
    assert "&quot;stmails&quot; → &quot;Renamed&quot;" in html.replace(
        "</code> → <code>", " → "
    )
    assert 'href="/settings/audit"' in html


def test_it_requires_login_for_the_audit_page(client, db):
    r = client.get("/settings/audit")
    assert r.status_code in (302, 403)


BODY = "Hello {name},\n\nconfirm here: {confirm_url}\n\nThanks"


def test_a_textarea_that_only_changed_line_endings_records_no_change(api_client):
    put(api_client, {"app.optin_body": BODY})
    assert SettingsChange.objects.filter(key="app.optin_body").count() == 1
    # What a browser posts back for the unchanged textarea: CRLF line endings.
    r = put(api_client, {"app.optin_body": BODY.replace("\n", "\r\n")})
    assert r.status_code == 200
    assert SettingsChange.objects.filter(key="app.optin_body").count() == 1
    assert config.get_value("app.optin_body") == BODY


def test_a_crlf_textarea_is_stored_with_lf_line_endings(api_client):
    put(api_client, {"app.optin_body": BODY.replace("\n", "\r\n")})
    assert config.get_value("app.optin_body") == BODY
    change = SettingsChange.objects.get(key="app.optin_body")
    assert "\r" not in change.new_value


def test_the_audit_page_shows_a_line_diff_of_a_changed_text(client_alice, api_client):
    put(api_client, {"app.optin_body": BODY})
    put(api_client, {"app.optin_body": BODY.replace("Thanks", "Cheers")})
    html = client_alice.get("/settings/audit").content.decode()
    assert '<span class="audit-diff-del">-Thanks</span>' in html
    assert '<span class="audit-diff-add">+Cheers</span>' in html
    assert '<span class="audit-diff-ctx"> </span>' in html  # the line before


def test_the_audit_table_wraps_long_values(client_alice, api_client):
    r = put(api_client, {"app.optin_body": "{confirm_url}" + "x" * 3000})
    assert r.status_code == 200
    html = client_alice.get("/settings/audit").content.decode()
    assert 'class="settings-audit"' in html
    css = Path("static/css/app.css").read_text()
    rule = css.split(".settings-audit td {", 1)[1].split("}", 1)[0]
    assert "overflow-wrap: anywhere" in rule
    assert "table-layout: fixed" in css.split(".settings-audit {", 1)[1].split("}")[0]
