"""A listmonk settings map works unchanged: PUT whole -> 200, GET gives it back.

tests/fixtures/listmonk/settings.json is the GET /api/settings answer of a fresh
listmonk v6 (see tests/fixtures/listmonk/SOURCES.md).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from stmails import config, log_redaction, runtime_logging
from stmails.config import Key, as_str, unused
from stmails.config.listmonk_keys import LISTMONK_KEYS
from stmails.config.reference import render_reference
from stmails.lib import crypto
from stmails.models import Setting, SettingsChange, UnusedSetting

MASK = "\u2022" * 8
FIXTURE = Path(__file__).parent.parent / "fixtures" / "listmonk" / "settings.json"
LISTMONK = json.loads(FIXTURE.read_text())["data"]
# The listmonk keys stmails implements; every other key of the map is stored only.
USED = {
    "app.site_name", "app.root_url", "app.from_email",
    "app.enable_public_subscription_page", "app.send_optin_confirmation",
    "app.concurrency", "app.message_rate", "app.max_send_errors",
    "app.message_sliding_window", "app.message_sliding_window_duration",
    "app.message_sliding_window_rate", "smtp", "bounce.enabled",
    "bounce.webhooks_enabled", "bounce.actions", "bounce.ses_enabled",
    "bounce.sendgrid_enabled", "bounce.sendgrid_key", "bounce.azure",
    "bounce.postmark", "bounce.forwardemail", "bounce.lettermint",
    "bounce.mailboxes",
}  # fmt: skip


def put(client, body, path="/api/settings"):
    return client.put(path, json.dumps(body), content_type="application/json")


def listmonk_map() -> dict:
    return copy.deepcopy(LISTMONK)


def unused_known_now() -> set[str]:
    # Keys other helpers register later (privacy.*...) move from stored-only to used.
    return {k for k in LISTMONK if k not in config.REGISTRY}


def test_the_fixture_is_a_whole_listmonk_map():
    assert len(LISTMONK) == 67
    assert USED <= set(LISTMONK)
    assert LISTMONK["smtp"][0]["password"] == MASK
    # The docs' list is the fixture's keys, plus the one listmonk leaves out
    # of its answer while it is empty.
    assert set(LISTMONK_KEYS) - set(LISTMONK) == {"upload.s3.aws_secret_access_key"}
    assert set(LISTMONK) <= set(LISTMONK_KEYS)
    assert len(LISTMONK_KEYS) == len(set(LISTMONK_KEYS))


def test_the_reference_says_which_listmonk_keys_take_effect():
    page = render_reference().split("## listmonk settings", 1)[1]
    used, stored = page.split("Stored only", 1)
    for key in LISTMONK_KEYS:
        assert (f"`{key}`" in used) == (key in config.REGISTRY), key
        assert (f"`{key}`" in stored.split("listmonk's fields")[0]) == (
            key not in config.REGISTRY
        ), key
    assert "`from_addresses`" in page


def test_a_fresh_listmonk_map_put_whole_answers_200_and_takes_effect(api_client):
    r = put(api_client, listmonk_map())

    assert r.status_code == 200, r.content
    body = r.json()
    assert body["data"] is True
    assert body["unused_keys"] == sorted(unused_known_now())
    assert USED.isdisjoint(body["unused_keys"])
    assert "app.favicon_url" in body["unused_keys"]
    # What stmails implements took effect.
    assert config.get_value("app.site_name") == "Mailing list"
    assert config.get_value("app.from_email") == LISTMONK["app.from_email"]
    servers = config.get_value("smtp")
    assert [s["uuid"] for s in servers] == [s["uuid"] for s in LISTMONK["smtp"]]
    assert [s["host"] for s in servers] == ["smtp.yoursite.com", "smtp.gmail.com"]
    assert servers[0]["msg_retry_delay"] == "10ms"
    assert servers[0]["from_addresses"] == []
    # A masked password with no stored one stays empty (nothing to reuse).
    assert servers[0]["password"] == ""
    assert config.get_value("bounce.actions")["hard"] == {
        "count": 1,
        "action": "blocklist",
        "window_days": 0,
    }


def test_get_gives_back_the_stored_keys_and_a_round_trip_changes_nothing(
    api_client,
):
    assert put(api_client, listmonk_map()).status_code == 200
    first = api_client.get("/api/settings").json()["data"]

    for key in unused_known_now():
        assert first[key] == LISTMONK[key], key
    assert set(LISTMONK) <= set(first)
    assert first["smtp"][1]["name"] == ""

    r = put(api_client, first)
    assert r.status_code == 200, r.content
    assert api_client.get("/api/settings").json()["data"] == first
    changes = SettingsChange.objects.count()
    assert put(api_client, first).status_code == 200
    assert SettingsChange.objects.count() == changes  # nothing changed


def edited_map() -> dict:
    """A real admin's map: secrets typed in, SMTP servers named and routed."""
    data = listmonk_map()
    data["app.site_name"] = "Acme news"
    data["app.logo_url"] = "https://acme.example/logo.png"
    data["app.notify_emails"] = ["ops@acme.example"]
    data["upload.provider"] = "s3"
    data["upload.s3.aws_access_key_id"] = "AKIAEXAMPLE"
    data["upload.s3.aws_secret_access_key"] = "s3-secret-value"
    data["security.oidc"].update(
        enabled=True, client_id="stmails", client_secret="oidc-secret-value"
    )
    data["security.captcha"]["hcaptcha"].update(
        enabled=True, key="site-key-value", secret="hcaptcha-secret-value"
    )
    data["messengers"] = [
        {
            "uuid": "0f0f0f0f-0000-4000-8000-000000000001",
            "enabled": True,
            "name": "sms",
            "root_url": "https://sms.example",
            "username": "u",
            "password": "messenger-password-value",
            "max_conns": 2,
            "timeout": "5s",
            "max_msg_retries": 2,
        }
    ]
    primary = data["smtp"][0]
    primary.update(
        name="email-primary",
        password="smtp-password-value",
        msg_retry_delay="2s",
        from_addresses=["news@acme.example", "acme.org"],
    )
    return data


SECRETS = (
    "s3-secret-value",
    "oidc-secret-value",
    "hcaptcha-secret-value",
    "site-key-value",
    "messenger-password-value",
    "smtp-password-value",
)


def test_an_edited_map_keeps_secrets_encrypted_and_masked(api_client):
    r = put(api_client, edited_map())
    assert r.status_code == 200, r.content

    raw = json.dumps(list(UnusedSetting.objects.values_list("value", flat=True)))
    raw += json.dumps(list(Setting.objects.values_list("value", flat=True)))
    raw += json.dumps(list(SettingsChange.objects.values_list("new_value", flat=True)))
    assert not [s for s in SECRETS if s in raw]
    stored = UnusedSetting.objects.get(key="security.oidc").value
    assert crypto.decrypt(stored["client_secret"]) == "oidc-secret-value"
    assert stored["client_id"] == "stmails"  # not secret-looking: kept as is

    data = api_client.get("/api/settings").json()["data"]
    assert not [s for s in SECRETS if s in json.dumps(data)]
    assert data["upload.s3.aws_secret_access_key"] == MASK
    assert data["upload.s3.aws_access_key_id"] == "AKIAEXAMPLE"
    assert data["security.oidc"]["client_secret"] == MASK
    assert data["security.captcha"]["hcaptcha"]["secret"] == MASK
    assert data["messengers"][0]["password"] == MASK
    assert data["app.logo_url"] == "https://acme.example/logo.png"
    assert data["smtp"][0]["password"] == MASK
    assert data["smtp"][0]["name"] == "email-primary"
    assert data["smtp"][0]["msg_retry_delay"] == "2s"
    assert data["smtp"][0]["from_addresses"] == ["news@acme.example", "acme.org"]

    # The masked map sent back keeps every stored secret.
    data["app.logo_url"] = "https://acme.example/logo2.png"
    assert put(api_client, data).status_code == 200
    oidc = UnusedSetting.objects.get(key="security.oidc").value
    assert crypto.decrypt(oidc["client_secret"]) == "oidc-secret-value"
    s3 = UnusedSetting.objects.get(key="upload.s3.aws_secret_access_key").value
    assert crypto.decrypt(s3) == "s3-secret-value"
    messenger = UnusedSetting.objects.get(key="messengers").value[0]
    assert crypto.decrypt(messenger["password"]) == "messenger-password-value"
    assert config.get_value("smtp")[0]["password"] == "smtp-password-value"
    assert unused.stored_values()["app.logo_url"] == "https://acme.example/logo2.png"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"app.concurrency": "ten"}, "app.concurrency: must be a whole number"),
        ({"app.from_email": "nobody"}, "app.from_email: must be an email address"),
        (
            {"smtp": [{"host": "h", "msg_retry_delay": "soon"}]},
            "smtp[0].msg_retry_delay: must be a duration",
        ),
        (
            {"smtp": [{"host": "h", "from_addresses": ["not an address"]}]},
            "smtp[0].from_addresses[0]: must be an address",
        ),
        (
            {"smtp": [{"host": "h", "from_addresses": "news@a.example"}]},
            "smtp[0].from_addresses: must be a JSON list",
        ),
        ({"alerts.nope": 1}, "alerts.nope: unknown settings key"),
        ({"bad key!": 1}, "bad key!: is not a settings key name"),
    ],
)
def test_a_bad_value_of_a_known_key_is_still_a_400_and_nothing_is_stored(
    api_client, change, message
):
    r = put(api_client, {**listmonk_map(), **change})

    assert r.status_code == 400
    assert r.json()["message"].startswith(message), r.json()
    assert not UnusedSetting.objects.exists()
    assert not Setting.objects.filter(key="app.site_name").exists()


def test_one_key_put_stores_an_unknown_key_and_reports_it(api_client):
    r = put(
        api_client, "https://acme.example/favicon.ico", "/api/settings/app.favicon_url"
    )
    assert r.status_code == 200, r.content
    assert r.json() == {"data": True, "unused_keys": ["app.favicon_url"]}
    data = api_client.get("/api/settings").json()["data"]
    assert data["app.favicon_url"] == "https://acme.example/favicon.ico"

    r = put(api_client, "Site", "/api/settings/app.site_name")
    assert r.json() == {"data": True, "unused_keys": []}
    r = put(
        api_client,
        "secret-token-value",
        "/api/settings/upload.s3.aws_secret_access_key",
    )
    assert r.status_code == 200
    assert (
        api_client.get("/api/settings").json()["data"][
            "upload.s3.aws_secret_access_key"
        ]
        == MASK
    )
    r = put(api_client, 1, "/api/settings/probe.nope")
    assert r.status_code == 400
    assert r.json() == {"message": "probe.nope: unknown settings key"}


def test_an_absurd_unknown_value_is_refused(api_client):
    deep: list = []
    for _ in range(20):
        deep = [deep]
    r = put(api_client, {"app.deep": deep})
    assert r.status_code == 400
    assert r.json()["message"].startswith("app.deep: nested deeper")


@pytest.fixture
def later_key():
    """A key another app registers in a later version (a secret one)."""
    key = Key("upload.s3.aws_secret_access_key", "", as_str(200), secret="value")
    yield key
    config.REGISTRY.pop(key.name, None)


def test_a_key_registered_later_takes_effect_with_the_stored_value(
    api_client, later_key
):
    put(api_client, {"upload.s3.aws_secret_access_key": "s3-secret-value"})
    put(api_client, {"app.logo_url": "https://acme.example/logo.png"})
    config.register(later_key)

    # Registered but not adopted yet: the registry wins on read, and a PUT of
    # the key goes through its validator.
    assert "upload.s3.aws_secret_access_key" not in unused.stored_values()
    assert unused.adopt() == ["upload.s3.aws_secret_access_key"]

    assert config.get_value("upload.s3.aws_secret_access_key") == "s3-secret-value"
    assert not UnusedSetting.objects.filter(
        key="upload.s3.aws_secret_access_key"
    ).exists()
    assert UnusedSetting.objects.filter(key="app.logo_url").exists()
    assert unused.adopt() == []
    data = api_client.get("/api/settings").json()["data"]
    assert data["upload.s3.aws_secret_access_key"] == MASK
    r = put(api_client, {"upload.s3.aws_secret_access_key": 5})
    assert r.status_code == 400


def test_a_stored_value_the_new_key_refuses_stays_stored(api_client, later_key):
    put(api_client, {"upload.s3.aws_secret_access_key": "x" * 300})
    config.register(later_key)

    assert unused.adopt() == []
    assert UnusedSetting.objects.filter(key=later_key.name).exists()
    assert config.get_value(later_key.name) == ""


def test_stored_only_credentials_are_hidden_from_logs_too(api_client):
    assert put(api_client, edited_map()).status_code == 200

    runtime_logging.sync_from_settings(force=True)
    line = log_redaction.redact(
        "echo s3-secret-value oidc-secret-value messenger-password-value AKIAEXAMPLE"
    )

    assert "secret-value" not in line and "password-value" not in line
    assert "AKIAEXAMPLE" in line  # not a credential: left as is


def test_migrate_adopts_keys_registered_since(api_client, later_key):
    from django.core.management import call_command

    put(api_client, {"upload.s3.aws_secret_access_key": "s3-secret-value"})
    config.register(later_key)

    call_command("migrate", verbosity=0, interactive=False)

    assert config.get_value(later_key.name) == "s3-secret-value"
    assert not UnusedSetting.objects.filter(key=later_key.name).exists()


def test_a_file_uploaded_as_a_settings_value_is_a_400_naming_the_key(api_client):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    upload = SimpleUploadedFile("x.json", b"{}", content_type="application/json")
    r = api_client.put(
        "/api/settings",
        encode_multipart(BOUNDARY, {"app.favicon_url": upload}),
        content_type=MULTIPART_CONTENT,
    )
    assert r.status_code == 400, r.content
    assert "app.favicon_url" in r.json()["message"]
