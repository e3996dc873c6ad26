"""listmonk's /api/import/subscribers (+ stmails' errors.csv)."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from subscribers.models import ImportJob, Subscriber, Subscription

pytestmark = pytest.mark.django_db

URL = "/api/import/subscribers"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.STMAILS_IMPORT_DIR = tmp_path / "imports"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    cache.clear()


def upload(client, text: str | bytes, params: dict | str | None, capture=None):
    data = text.encode() if isinstance(text, str) else text
    body = {"file": SimpleUploadedFile("subs.csv", data, content_type="text/csv")}
    if params is not None:
        body["params"] = params if isinstance(params, str) else json.dumps(params)
    if capture is None:
        return client.post(URL, body)
    with capture(execute=True):
        return client.post(URL, body)


def test_it_imports_a_multipart_upload(
    api_client, make_list, django_capture_on_commit_callbacks
):
    news = make_list()
    params = {
        "mode": "subscribe",
        "subscription_status": "confirmed",
        "delim": ",",
        "lists": [news.id],
        "overwrite": True,
    }
    r = upload(
        api_client,
        "email,name\na@example.com,A\nbad,B\n",
        params,
        django_capture_on_commit_callbacks,
    )
    assert r.status_code == 200, r.content
    data = r.json()["data"]
    assert (data["name"], data["total"], data["status"]) == ("subs.csv", 2, "importing")
    assert (
        Subscription.objects.get(subscriber__email="a@example.com").status
        == "confirmed"
    )

    status = api_client.get(URL).json()["data"]
    assert status == status | {
        "name": "subs.csv",
        "total": 2,
        "imported": 1,
        "status": "finished",
        "failed_rows": 1,
        "errors": 1,
    }

    logs = api_client.get(URL + "/logs").json()["data"]
    assert "finished: imported 1, failed 1 of 2 rows" in logs

    report = api_client.get(URL + "/errors.csv")
    assert report["Content-Type"].startswith("text/csv")
    assert report.content.decode().splitlines() == [
        "line,email,error",
        "3,bad,invalid email address",
    ]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"mode": "drop"}, "mode: must be one of subscribe, blocklist"),
        ({"lists": [424242]}, "lists: unknown list id 424242"),
        ({"delim": "ab"}, "delim: must be a single character"),
        ("{not json", "params: is not valid JSON"),
    ],
)
def test_it_names_the_bad_param(api_client, params, message):
    r = upload(api_client, "email\na@example.com\n", params)
    assert r.status_code == 400
    assert r.json()["message"].startswith(message)
    assert not ImportJob.objects.exists()


def test_it_names_the_file_for_file_errors(api_client):
    r = upload(api_client, "email,age\na@example.com,3\n", {"mode": "subscribe"})
    assert r.status_code == 400
    assert r.json()["message"].startswith("file: unexpected column(s) 'age'")
    r = api_client.post(URL, {"params": "{}"})
    assert (r.status_code, r.json()["message"]) == (400, "file: a CSV file is required")
    assert not Subscriber.objects.exists()


def test_it_answers_409_while_an_import_runs(api_client):
    ImportJob.objects.create(name="busy", file_path="/x", status="importing")
    r = upload(api_client, "email\na@example.com\n", {})
    assert r.status_code == 409
    assert r.json() == {"message": "an import is already running"}


def test_it_reports_none_without_imports(api_client):
    data = api_client.get(URL).json()["data"]
    assert (data["status"], data["total"], data["imported"]) == ("none", 0, 0)
    assert api_client.get(URL + "/logs").json() == {"data": ""}


def test_delete_stops_a_running_import_and_clears_a_finished_one(api_client):
    job = ImportJob.objects.create(name="busy", file_path="/x", status="importing")
    r = api_client.delete(URL)
    assert r.json()["data"]["status"] == "stopping"
    ImportJob.objects.filter(pk=job.pk).update(status="stopped")
    assert api_client.delete(URL).json()["data"]["status"] == "none"
    assert api_client.get(URL).json()["data"]["status"] == "none"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", URL),
        ("post", URL),
        ("delete", URL),
        ("get", URL + "/logs"),
        ("get", URL + "/errors.csv"),
        ("get", "/api/subscribers/export"),
    ],
)
def test_it_requires_authentication(method, path):
    r = getattr(Client(), method)(path)
    assert r.status_code == 401
    assert "message" in r.json()


def test_it_accepts_token_header_auth(api_user):
    user, token = api_user
    client = Client(HTTP_AUTHORIZATION=f"token {user.name}:{token}")
    assert client.get(URL).status_code == 200
