"""Streamed CSV export: /api/subscribers/export and /subscribers/export."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.cache import cache
from django.http import StreamingHttpResponse

from subscribers.models import Subscription

pytestmark = pytest.mark.django_db

HEADER = ["uuid", "email", "name", "attributes", "status", "created_at", "updated_at"]


@pytest.fixture(autouse=True)
def _local_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    cache.clear()


def rows(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_it_streams_every_subscriber_as_csv(api_client, make_subscriber):
    anna = make_subscriber(
        "anna@example.com", name="Anna, A.", attribs={"city": "Zürich"}
    )
    make_subscriber("bob@example.com", status="blocklisted")
    r = api_client.get("/api/subscribers/export")
    assert r.status_code == 200
    assert r["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in r["Content-Disposition"]
    table = rows(r)
    assert table[0] == HEADER
    assert [row[1] for row in table[1:]] == ["anna@example.com", "bob@example.com"]
    first = table[1]
    assert first[0] == str(anna.uuid) and first[2] == "Anna, A."
    assert json.loads(first[3]) == {"city": "Zürich"}
    assert first[4] == "enabled" and first[5] == anna.created_at.isoformat()


def test_it_applies_the_subscriber_filters(api_client, make_subscriber, make_list):
    news = make_list()
    a = make_subscriber("a@example.com", attribs={"plan": "pro"})
    b = make_subscriber("b@example.com", attribs={"plan": "free"})
    make_subscriber("c@example.com", status="blocklisted", attribs={"plan": "pro"})
    Subscription.objects.create(subscriber=a, list=news, status="confirmed")
    Subscription.objects.create(subscriber=b, list=news, status="unconfirmed")

    def emails(query: str) -> list[str]:
        return [
            row[1]
            for row in rows(api_client.get("/api/subscribers/export?" + query))[1:]
        ]

    assert emails("status=blocklisted") == ["c@example.com"]
    assert emails(f"list_id={news.id}") == ["a@example.com", "b@example.com"]
    assert emails(f"list_id={news.id}&subscription_status=confirmed") == [
        "a@example.com"
    ]
    assert emails("attrib.plan=pro") == ["a@example.com", "c@example.com"]
    assert emails("search=b%40") == ["b@example.com"]


def test_it_streams_in_chunks(api_client, make_subscriber, monkeypatch):
    from subscribers import exports

    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    for i in range(5):
        make_subscriber(f"s{i}@example.com")
    r = api_client.get("/api/subscribers/export")
    chunks = list(r.streaming_content)
    assert len(chunks) == 3  # rows 1-2 (+ header), 3-4, 5
    assert chunks[0].decode().startswith("uuid,email,")


def test_it_rejects_bad_filters_before_streaming(api_client):
    r = api_client.get("/api/subscribers/export?status=zombie")
    assert r.status_code == 400
    assert r.json()["message"].startswith("status: must be one of")
    r = api_client.get("/api/subscribers/export?list_id=98765")
    assert r.status_code == 400 and r.json()["message"] == "list_id: unknown list"


def test_the_ui_export_needs_login_and_streams(
    client, alice, client_alice, make_subscriber
):
    make_subscriber("ui@example.com")
    assert client.get("/subscribers/export").status_code == 302
    r = client_alice.get("/subscribers/export?search=ui")
    assert [row[1] for row in rows(r)] == ["email", "ui@example.com"]
    assert client_alice.get("/subscribers/export?status=zombie").status_code == 400


def test_it_exports_by_query_and_repeated_ids(api_client, make_subscriber):
    ann = make_subscriber("ann@example.com")
    bob = make_subscriber("bob@example.com")
    make_subscriber("cy@test.net")
    r = api_client.get(f"/api/subscribers/export?id={ann.id}&id={bob.id}")
    assert sorted(row[1] for row in rows(r)[1:]) == [
        "ann@example.com",
        "bob@example.com",
    ]
    r = api_client.get("/api/subscribers/export?query=email%20LIKE%20'%25.net'")
    assert [row[1] for row in rows(r)[1:]] == ["cy@test.net"]
    r = api_client.get("/api/subscribers/export?query=nope%3D1")
    assert r.status_code == 400
    assert r.json()["message"].startswith("query: `subscribers.nope`")
