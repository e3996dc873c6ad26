"""Issue 14 item 3: bad input answers 400 naming the field (never 5xx), in JSON on /api
and /webhooks, and nothing is stored. Runs on SQLite and on PostgreSQL (DATABASE_URL),
where NUL and lone surrogates used to be a DataError."""

from __future__ import annotations

import json
import random

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from bounces.models import Bounce
from campaigns.models import Campaign, Template
from stmails.config import get_value, update_settings
from stmails.lib.input_checks import (
    InvalidInput,
    check_tree,
    loads_json,
    parse_bounded_int,
    parse_id,
)
from stmails.models import Setting
from subscribers.models import ImportJob, MailingList, Subscriber

pytestmark = pytest.mark.django_db

NUL = "a\u0000b"
SURROGATE = "a\ud800b"
DEEP = "[" * 100_000
HUGE = "99999999999999999999"


@pytest.fixture(autouse=True)
def _local_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    cache.clear()


def send(client, method, url, body, **extra):
    if not isinstance(body, str | bytes):
        # ensure_ascii: a lone surrogate travels as the escape "\ud800", as a
        # client would send it.
        body = json.dumps(body)
    return getattr(client, method)(
        url, data=body, content_type="application/json", **extra
    )


def assert_bad(response, field: str) -> None:
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    message = response.json()["message"]
    assert message.startswith(f"{field}:") or f" {field}" in message, message


def stored_rows() -> tuple[int, ...]:
    return (
        Subscriber.objects.count(),
        MailingList.objects.count(),
        Campaign.objects.count(),
        Bounce.objects.count(),
        Setting.objects.count(),
    )


# --- the shared checks ---------------------------------------------------------------


def test_loads_json_refuses_what_databases_and_recursion_cannot_take():
    for text, fragment in [
        ('{"a": "x\\u0000"}', "NUL"),
        ('{"a": ["\\ud800"]}', "surrogate"),
        ('{"a": NaN}', "not valid JSON"),
        (DEEP, "nested"),
        ("[" * 65 + "]" * 65, "nested"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            loads_json(text, "meta")
        assert fragment in str(caught.value) and str(caught.value).startswith("meta")
    assert loads_json('{"a": [1, {"b": "\\ud83d\\ude00"}]}') == {"a": [1, {"b": "😀"}]}
    with pytest.raises(InvalidInput) as caught:
        loads_json('{"x": {"y": ["ok", "\\u0000"]}}')
    assert caught.value.field == "x.y[1]"


def _outcome(call):
    try:
        return ("ok", call())
    except InvalidInput as e:
        return ("refused", e.field, e.message)


def test_loads_json_answers_as_the_full_walk_does_for_any_text():
    """loads_json skips the walk when the text itself shows nothing to find;
    for seeded texts full of escapes, brackets and bad characters it must
    answer exactly as json.loads followed by check_tree does."""
    rng = random.Random(19)
    pieces = ["a", "é", "\\u0000", "\\u00e9", "\\ud800", "\\uDBFF", "\\udc00",
              "\\ud83d\\ude00", "\\\\u0000", "\x00", "\\n", "[", "{"]  # fmt: skip

    def value(depth: int) -> str:
        kind = rng.random()
        if depth > 3 or kind < 0.4:
            return json.dumps("".join(rng.choices(pieces, k=rng.randrange(4))))[:-1] + (
                "".join(rng.choices(pieces[:10], k=rng.randrange(3))) + '"'
            )
        if kind < 0.7:
            return (
                "[" + ",".join(value(depth + 1) for _ in range(rng.randrange(3))) + "]"
            )
        key = rng.choice(['"k"', '"\\u0000"', '"\\ud800"', '"é"'])
        return "{" + key + ":" + value(depth + 1) + "}"

    def nested(text: str, levels: int) -> str:
        for _ in range(levels):
            text = rng.choice(["[{}]", '{{"k":{}}}']).format(text)
        return text

    seen = set()
    for _ in range(3000):
        text = nested(value(1), rng.choice([0, 0, 0, 0, 60, 62, 63, 64, 65]))
        try:
            parsed = json.loads(text)
        except ValueError:
            continue
        walked = _outcome(lambda parsed=parsed: check_tree(parsed, "f"))
        assert _outcome(lambda text=text: loads_json(text, "f")) == walked, text
        seen.add(walked[0] if walked[0] == "ok" else walked[2].split()[-1])
    assert seen >= {"ok", "characters", "levels"}  # each answer was met


@pytest.mark.parametrize("raw", [HUGE, "²", "٣", "-1", "1.5", "", "9" * 5000, True])
def test_parse_id_takes_only_64_bit_ascii_numbers(raw):
    with pytest.raises(InvalidInput):
        parse_id(raw, "id")


def test_parse_id_and_bounded_int_accept_what_they_should():
    assert parse_id(" 42 ", "id") == 42 and parse_id(2**63 - 1, "id") == 2**63 - 1
    assert parse_bounded_int("-3", "page", minimum=-10, maximum=10) == -3
    for raw in ("11", "9" * 5000, "²", "1e3"):
        with pytest.raises(InvalidInput):
            parse_bounded_int(raw, "page", minimum=-10, maximum=10)


# --- NUL and lone surrogates in bodies ---------------------------------------------


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
@pytest.mark.parametrize(
    "method,url,body,field",
    [
        ("post", "/api/subscribers", {"email": "x@example.com", "name": "?"}, "name"),
        ("post", "/api/lists", {"name": "?"}, "name"),
        ("post", "/api/campaigns", {"name": "?", "subject": "s"}, "name"),
        (
            "post",
            "/api/tx",
            {"subscriber_email": "x@example.com", "subject": "?"},
            "subject",
        ),
        ("put", "/api/settings", {"app.site_name": "?"}, "app.site_name"),
        ("put", "/api/settings/app.site_name", "?", "body"),
        (
            "post",
            "/webhooks/bounce",
            {"email": "x@example.com", "source": "?"},
            "source",
        ),
        (
            "post",
            "/webhooks/bounce",
            {"email": "x@example.com", "event_id": "?"},
            "event_id",
        ),
        (
            "post",
            "/webhooks/bounce",
            {"email": "x@example.com", "campaign_uuid": "?"},
            "campaign_uuid",
        ),
        (
            "post",
            "/webhooks/bounce",
            {"email": "x@example.com", "meta": {"k": "?"}},
            "meta.k",
        ),
        (
            "post",
            "/api/public/subscription",
            {"email": "x@example.com", "name": "?"},
            "name",
        ),
    ],
)
def test_nul_and_surrogates_in_bodies_are_400_naming_the_field(
    api_client, method, url, body, field, bad
):
    update_settings({"bounce.enabled": True, "bounce.webhooks_enabled": True})
    before = stored_rows()
    if isinstance(body, dict):
        body = {k: (bad if v == "?" else v) for k, v in body.items()}
        if isinstance(body.get("meta"), dict):
            body["meta"] = {"k": bad}
    else:
        body = json.dumps(bad)
    r = send(api_client, method, url, body)
    assert_bad(r, field)
    assert stored_rows() == before


def test_nul_in_a_key_and_in_meta_as_an_escaped_string(api_client):
    update_settings({"bounce.enabled": True, "bounce.webhooks_enabled": True})
    r = send(api_client, "put", "/api/settings", {"app.x\u0000": 1})
    assert r.status_code == 400 and r.json()["message"].startswith("app.x")
    r = send(
        api_client,
        "post",
        "/webhooks/bounce",
        {
            "email": "x@example.com",
            "source": "api",
            "type": "hard",
            "meta": '{"a": NaN}',
        },
    )
    assert_bad(r, "meta")
    r = send(
        api_client,
        "post",
        "/webhooks/bounce",
        {"email": "x@example.com", "source": "api", "type": "hard", "meta": DEEP},
    )
    assert_bad(r, "meta")
    assert Bounce.objects.count() == 0


def test_a_form_encoded_body_with_nul_is_400(api_client):
    r = api_client.post("/api/lists", {"name": NUL})
    assert_bad(r, "name")
    assert MailingList.objects.count() == 0


# --- NUL in query strings and paths -------------------------------------------------


@pytest.mark.parametrize(
    "url,field",
    [
        ("/api/subscribers?search=a%00b", "search"),
        ("/api/subscribers?email=a%00b", "email"),
        ("/api/subscribers?name=a%00b", "name"),
        ("/api/subscribers?attrib.x=a%00b", "attrib.x"),
        ("/api/lists?query=a%00b", "query"),
        ("/api/campaigns?query=a%00b", "query"),
        ("/api/subscribers/export?search=a%00b", "search"),
        ("/api/bounces?source=a%00b", "source"),
    ],
)
def test_nul_in_a_search_is_400_naming_the_parameter(api_client, url, field):
    assert_bad(api_client.get(url), field)


def test_nul_in_an_admin_page_search_or_a_path_is_400(client_alice, api_client):
    assert client_alice.get("/subscribers?search=a%00b").status_code == 400
    assert_bad(api_client.put("/api/settings/a%00b", "1", "application/json"), "path")


# --- deep JSON ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,url",
    [
        ("post", "/api/subscribers"),
        ("put", "/api/subscribers/lists"),
        ("put", "/api/subscribers/blocklist"),
        ("post", "/api/lists"),
        ("post", "/api/campaigns"),
        ("post", "/api/tx"),
        ("put", "/api/settings"),
        ("put", "/api/settings/app.site_name"),
        ("post", "/api/settings/smtp/test"),
        ("post", "/webhooks/bounce"),
        ("post", "/api/public/subscription"),
    ],
)
def test_deeply_nested_json_is_400(api_client, method, url):
    update_settings({"bounce.enabled": True, "bounce.webhooks_enabled": True})
    r = send(api_client, method, url, DEEP)
    assert r.status_code == 400, r.content[:200]
    assert "nested deeper" in r.json()["message"]


def test_deep_json_on_the_public_subscription_needs_no_credentials(db):
    r = send(Client(), "post", "/api/public/subscription", DEEP)
    assert r.status_code == 400 and "nested deeper" in r.json()["message"]


# --- huge numbers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"/api/subscribers/{HUGE}",
        f"/api/lists/{HUGE}",
        f"/api/campaigns/{HUGE}",
        f"/api/bounces/{HUGE}",
        f"/api/subscribers/{HUGE}/bounces",
    ],
)
def test_path_ids_beyond_64_bits_are_json_404(api_client, url):
    r = api_client.get(url)
    assert r.status_code == 404
    assert r.json() == {"message": "not found"}


def test_huge_path_ids_on_admin_pages_are_404(client_alice):
    assert client_alice.get(f"/campaigns/{HUGE}/").status_code == 404


@pytest.mark.parametrize(
    "url,field",
    [
        (f"/api/subscribers?list_id={HUGE}", "list_id"),
        (f"/api/bounces?campaign_id={HUGE}", "campaign_id"),
        (f"/api/bounces?subscriber_id={HUGE}", "subscriber_id"),
        (f"/api/subscribers?page={HUGE}", "page"),
        (f"/api/bounces?page={HUGE}", "page"),
        (f"/api/campaigns?page={HUGE}", "page"),
        (f"/api/lists?page={HUGE}", "page"),
        ("/api/subscribers?page=" + "9" * 5000, "page"),
        ("/api/subscribers?per_page=" + "9" * 5000, "per_page"),
        ("/api/subscribers?page=%C2%B2", "page"),
    ],
)
def test_huge_numbers_in_filters_and_pages_are_400(api_client, url, field):
    assert_bad(api_client.get(url), field)


def test_huge_ids_in_id_arrays_are_400(api_client, make_subscriber):
    make_subscriber()
    for method, url, body, field in [
        ("put", "/api/subscribers/blocklist", {"ids": [int(HUGE)]}, "ids"),
        (
            "put",
            "/api/subscribers/lists",
            {"ids": [HUGE], "target_list_ids": []},
            "ids",
        ),
    ]:
        assert_bad(send(api_client, method, url, body), field)
    assert_bad(api_client.delete(f"/api/subscribers?id={HUGE}"), "id")
    assert_bad(api_client.delete(f"/api/bounces?id={HUGE}"), "id")


# --- one-offs -----------------------------------------------------------------------


def test_a_100000_character_subject_on_tx_is_400(api_client, make_subscriber):
    make_subscriber("x@example.com")
    tpl = Template.objects.create(name="Tx", type="tx", subject="S", body="b")
    body = {
        "subscriber_email": "x@example.com",
        "subject": "s" * 100_000,
        "template_id": tpl.pk,
    }
    assert_bad(send(api_client, "post", "/api/tx", body), "subject")


@pytest.mark.parametrize("host", ["a..b", "\u2603" * 64 + ".example", "xn--zz.example"])
def test_a_non_idna_host_on_the_smtp_test_is_400(api_client, host):
    body = {"host": host, "port": 25, "username": "", "password": ""}
    r = send(api_client, "post", "/api/settings/smtp/test", body)
    assert r.status_code == 400, r.content
    assert "host" in r.json()["message"]


@pytest.mark.parametrize("timestamp", [HUGE, "9" * 5000, "²"])
def test_sendgrid_timestamps_that_are_no_time_are_refused_without_5xx(timestamp):
    update_settings({"bounce.enabled": True, "bounce.sendgrid_enabled": True})
    r = Client().post(
        "/webhooks/service/sendgrid",
        data=b"[]",
        content_type="application/json",
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE="AAAA",
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP=timestamp,
    )
    assert 400 <= r.status_code < 500
    assert r["Content-Type"].startswith("application/json")


def test_the_preferences_page_ignores_a_list_that_is_no_number(make_subscriber):
    from subscribers import links

    subscriber = make_subscriber()
    url = links.preferences_url(subscriber)
    r = Client().post(url, {"list": ["²", HUGE]})
    assert r.status_code == 302  # saved (nothing), then the result page


def test_a_csv_import_reports_the_row_with_nul_and_imports_the_rest(
    api_client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.STMAILS_IMPORT_DIR = tmp_path / "imports"
    text = (
        "email,name,attributes\n"
        "ok@example.com,Ok,{}\n"
        "nul@example.com,a\x00b,{}\n"
        'esc@example.com,Esc,"{""a"": ""\\u0000""}"\n'
    )
    upload = SimpleUploadedFile("p.csv", text.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        r = api_client.post(
            "/api/import/subscribers",
            {"file": upload, "params": json.dumps({"mode": "subscribe", "lists": []})},
        )
    assert r.status_code == 200, r.content
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FINISHED, job.log
    assert (job.imported, job.failed) == (1, 2)
    assert [e["line"] for e in job.errors] == [3, 4]
    assert "NUL" in job.errors[0]["error"] and "NUL" in job.errors[1]["error"]
    assert set(Subscriber.objects.values_list("email", flat=True)) == {"ok@example.com"}


# --- JSON everywhere ----------------------------------------------------------------


def test_unknown_api_and_webhook_routes_are_json_404(api_client):
    for url in ("/api/nope", "/api/subscribers/1/nope", "/webhooks/nope"):
        r = api_client.get(url)
        assert r.status_code == 404
        assert r.json() == {"message": "not found"}


def test_an_oversized_body_is_json_400(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    r = send(api_client, "put", "/api/settings", {"app.site_name": "x" * 2000})
    assert r.status_code == 400
    assert r["Content-Type"].startswith("application/json")
    assert r.json()["message"]


def test_an_unexpected_error_is_json_500_on_api_paths(api_client, monkeypatch):
    from subscribers import api

    def explode(params):
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "page_of_subscribers", explode)
    api_client.raise_request_exception = False
    r = api_client.get("/api/subscribers")
    assert r.status_code == 500
    assert r.json() == {"message": "internal error"}


@pytest.mark.parametrize(
    "url,param",
    [
        ("/api/subscribers?ids=27", "ids"),
        ("/api/lists?foo=1", "foo"),
        ("/api/campaigns?list_id=1", "list_id"),
        ("/api/bounces?subscriber=1", "subscriber"),
    ],
)
def test_unknown_listing_parameters_are_400(api_client, url, param):
    assert_bad(api_client.get(url), param)


@pytest.mark.parametrize(
    "url",
    [
        "/api/subscribers?page=1&per_page=all&order_by=email&order=asc&search=a"
        "&subscription_status=confirmed&status=enabled&attrib.city=x&created_from=2024-01-01",
        "/api/lists?query=a&tag=x&minimal=true&order_by=name&order=asc&page=1&per_page=10",
        "/api/campaigns?status=draft&query=a&no_body=true&order_by=name&page=1&per_page=5",
        "/api/bounces?campaign_id=1&source=api&order_by=email&order=asc&page=1&per_page=5",
    ],
)
def test_listmonk_listing_parameters_stay_accepted(api_client, url):
    r = api_client.get(url)
    assert r.status_code == 200, r.content


def test_settings_are_unchanged_after_refused_writes(api_client):
    name = get_value("app.site_name")
    send(api_client, "put", "/api/settings", {"app.site_name": NUL})
    send(api_client, "put", "/api/settings/app.site_name", DEEP)
    assert get_value("app.site_name") == name


def test_admin_forms_refuse_huge_numbers_and_a_next_that_is_no_path(
    client_alice, make_subscriber
):
    sub = make_subscriber()
    r = client_alice.post(
        "/subscribers/new", {"email": "n@example.com", "lists": [f"-{HUGE}"]}
    )
    assert r.status_code in (200, 400)
    r = client_alice.post(
        f"/subscribers/{sub.pk}/edit",
        {"email": sub.email, "name": "n", "attribs": '{"a": ' + "9" * 5000 + "}"},
    )
    assert r.status_code in (200, 400)
    r = client_alice.post("/subscribers/bulk", {"ids": [sub.pk], "next": "x"})
    assert r.status_code == 302 and r["Location"] != "x"
    assert not Subscriber.objects.filter(email="n@example.com").exists()


def test_the_import_api_refuses_a_body_that_is_no_object(api_client):
    assert_bad(send(api_client, "post", "/api/import/subscribers", "[1]"), "")
