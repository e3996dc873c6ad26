"""listmonk's query routes (PUT query/lists, PUT query/blocklist, POST
query/delete) and the per-subscriber extras (PATCH, export, activity, lists/{id})."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from subscribers import activity, bulk
from subscribers.models import Subscriber, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    cache.clear()


def send(client, method, url, body=None):
    return getattr(client, method)(
        url,
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
    )


@pytest.fixture
def crowd(make_list, make_subscriber):
    news = make_list("News")
    other = make_list("Other")
    subs = {
        name: make_subscriber(f"{name}@{domain}", attribs={"plan": plan})
        for name, domain, plan in (
            ("ann", "example.com", "pro"),
            ("bob", "example.com", "free"),
            ("cy", "spam.test", "free"),
            ("di", "spam.test", "pro"),
        )
    }
    for name in ("ann", "cy"):
        Subscription.objects.create(
            subscriber=subs[name], list=news, status="confirmed"
        )
    Subscription.objects.create(subscriber=subs["di"], list=news, status="unsubscribed")
    return news, other, subs


def emails(**filters) -> set[str]:
    return set(Subscriber.objects.filter(**filters).values_list("email", flat=True))


# --- POST /api/subscribers/query/delete --------------------------------------------


def test_it_deletes_by_query(api_client, crowd):
    r = send(
        api_client,
        "post",
        "/api/subscribers/query/delete",
        {"query": "subscribers.email LIKE '%@spam.test'"},
    )
    assert (r.status_code, r.json()) == (200, {"data": True})
    assert emails() == {"ann@example.com", "bob@example.com"}


def test_it_deletes_within_lists_and_subscription_status(api_client, crowd):
    news, _, _ = crowd
    r = send(
        api_client,
        "post",
        "/api/subscribers/query/delete",
        {
            "query": "subscribers.email LIKE '%@spam.test'",
            "list_ids": [news.id],
            "subscription_status": "unsubscribed",
        },
    )
    assert r.status_code == 200, r.json()
    assert emails() == {"ann@example.com", "bob@example.com", "cy@spam.test"}


def test_it_deletes_everyone_in_the_lists_with_all(api_client, crowd):
    news, _, _ = crowd
    r = send(
        api_client,
        "post",
        "/api/subscribers/query/delete",
        {"query": "ignored = 'x'", "list_ids": [news.id], "all": True},
    )
    assert r.status_code == 200, r.json()
    assert emails() == {"bob@example.com"}


@pytest.mark.parametrize(
    "body, message",
    [
        ({}, "query: a query is required"),
        ({"query": "  "}, "query: a query is required"),
        ({"query": "1=1"}, "query: `1` is not supported"),
        ({"query": 5}, "query: must be a string"),
        ({"query": "id > 0", "all": "yes"}, "all: must be true or false"),
        ({"query": "id > 0", "list_ids": 3}, "list_ids: must be a list"),
        ({"query": "id > 0", "list_ids": [999999]}, "list_ids: unknown list id"),
        ({"query": "id > 0", "list_ids": [{"a": 1}]}, "list_ids: invalid list id"),
        (
            {"query": "id > 0", "subscription_status": "maybe"},
            "subscription_status: must be one of",
        ),
    ],
)
def test_it_refuses_bad_delete_bodies_and_deletes_nothing(
    api_client, crowd, body, message
):
    r = send(api_client, "post", "/api/subscribers/query/delete", body)
    assert r.status_code == 400, r.json()
    assert r.json()["message"].startswith(message)
    assert Subscriber.objects.count() == 4


def test_it_refuses_a_body_that_is_not_an_object(api_client, crowd):
    r = send(api_client, "post", "/api/subscribers/query/delete", ["query"])
    assert r.status_code == 400
    assert Subscriber.objects.count() == 4


# --- PUT /api/subscribers/query/blocklist ------------------------------------------


def test_it_blocklists_by_query_and_unsubscribes(api_client, crowd):
    r = send(
        api_client,
        "put",
        "/api/subscribers/query/blocklist",
        {"query": "subscribers.attribs->>'plan' = 'free'"},
    )
    assert (r.status_code, r.json()) == (200, {"data": True})
    assert emails(status="blocklisted") == {"bob@example.com", "cy@spam.test"}
    cy = Subscription.objects.get(subscriber__email="cy@spam.test")
    assert cy.status == "unsubscribed"


def test_it_blocklists_in_batches_within_one_transaction(
    api_client, make_subscriber, monkeypatch
):
    for i in range(7):
        make_subscriber(f"batch{i}@example.com")
    monkeypatch.setattr(bulk, "CHUNK", 3)
    r = send(
        api_client,
        "put",
        "/api/subscribers/query/blocklist",
        {"query": "email LIKE 'batch%'"},
    )
    assert r.status_code == 200
    assert Subscriber.objects.filter(status="blocklisted").count() == 7


def test_it_rolls_back_every_batch_when_one_fails(make_subscriber, monkeypatch):
    for i in range(5):
        make_subscriber(f"batch{i}@example.com")
    monkeypatch.setattr(bulk, "CHUNK", 2)
    real = bulk.services.delete_subscribers
    calls = []

    def failing(ids):
        calls.append(ids)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(ids)

    monkeypatch.setattr(bulk.services, "delete_subscribers", failing)
    with pytest.raises(RuntimeError):
        bulk.delete_by_query(
            bulk.Selection(query="email LIKE 'batch%'"),
            now=datetime(2025, 1, 1, tzinfo=UTC),
        )
    assert len(calls) == 2
    assert Subscriber.objects.count() == 5


# --- PUT /api/subscribers/query/lists ----------------------------------------------


def test_it_adds_query_matches_to_lists(api_client, crowd):
    _, other, _ = crowd
    r = send(
        api_client,
        "put",
        "/api/subscribers/query/lists",
        {
            "query": "subscribers.email LIKE '%@example.com'",
            "action": "add",
            "target_list_ids": [other.id],
            "status": "confirmed",
        },
    )
    assert (r.status_code, r.json()) == (200, {"data": True})
    members = Subscription.objects.filter(list=other)
    assert {m.subscriber.email for m in members} == {
        "ann@example.com",
        "bob@example.com",
    }
    assert {m.status for m in members} == {"confirmed"}


def test_it_removes_and_unsubscribes_by_query_from_source_lists(api_client, crowd):
    news, _, _ = crowd
    r = send(
        api_client,
        "put",
        "/api/subscribers/query/lists",
        {
            "query": "attribs->>'plan' = 'free'",
            "list_ids": [news.id],
            "action": "unsubscribe",
            "target_list_ids": [news.id],
        },
    )
    assert r.status_code == 200, r.json()
    assert Subscription.objects.get(subscriber__email="cy@spam.test").status == (
        "unsubscribed"
    )
    assert Subscription.objects.get(subscriber__email="ann@example.com").status == (
        "confirmed"
    )
    r = send(
        api_client,
        "put",
        "/api/subscribers/query/lists",
        {"query": "id > 0", "action": "remove", "target_list_ids": [news.id]},
    )
    assert r.status_code == 200
    assert not Subscription.objects.filter(list=news).exists()


@pytest.mark.parametrize(
    "body, message",
    [
        ({"action": "add"}, "target_list_ids: at least one list"),
        ({"action": "move", "target_list_ids": [1]}, "action: must be add, remove"),
        (
            {"action": "add", "target_list_ids": [999999]},
            "target_list_ids: unknown list",
        ),
        ({"action": "add", "target_list_ids": "1"}, "target_list_ids: must be a list"),
        (
            {"action": "add", "target_list_ids": [1], "query": "x"},
            "query: `subscribers.x`",
        ),
        ({"action": 3, "target_list_ids": [1]}, "action: must be a string"),
    ],
)
def test_it_refuses_bad_list_bodies(api_client, crowd, body, message):
    news, _, _ = crowd
    if body.get("target_list_ids") == [1]:
        body["target_list_ids"] = [news.id]
    before = Subscription.objects.count()
    r = send(api_client, "put", "/api/subscribers/query/lists", body)
    assert r.status_code == 400, r.json()
    assert r.json()["message"].startswith(message)
    assert Subscription.objects.count() == before


# --- PUT /api/subscribers/lists/{id} -----------------------------------------------


def test_it_changes_one_subscribers_lists(api_client, crowd):
    _, other, subs = crowd
    bob = subs["bob"]
    # The body a listmonk client sends: ids is repeated there, the path decides.
    body = {"ids": [bob.id], "action": "add", "target_list_ids": [other.id]}
    r = send(api_client, "put", f"/api/subscribers/lists/{bob.id}", body)
    assert (r.status_code, r.json()) == (200, {"data": True})
    assert Subscription.objects.filter(subscriber=bob, list=other).exists()
    r = send(
        api_client,
        "put",
        f"/api/subscribers/lists/{bob.id}",
        {"action": "remove", "target_list_ids": [other.id]},
    )
    assert r.status_code == 200
    assert not Subscription.objects.filter(subscriber=bob, list=other).exists()


def test_it_answers_404_for_an_unknown_subscribers_lists(api_client, crowd):
    _, other, _ = crowd
    r = send(
        api_client,
        "put",
        "/api/subscribers/lists/999999",
        {"action": "add", "target_list_ids": [other.id]},
    )
    assert r.status_code == 404


# --- PATCH /api/subscribers/{id} ---------------------------------------------------


def test_it_patches_only_the_fields_sent(api_client, crowd):
    news, _, subs = crowd
    ann = subs["ann"]
    r = send(api_client, "patch", f"/api/subscribers/{ann.id}", {"name": "Ann B."})
    assert r.status_code == 200, r.json()
    data = r.json()["data"]
    assert (data["name"], data["email"], data["attribs"]) == (
        "Ann B.",
        "ann@example.com",
        {"plan": "pro"},
    )
    assert [m["id"] for m in data["lists"]] == [news.id]
    r = send(api_client, "patch", f"/api/subscribers/{ann.id}", {"status": "gone"})
    assert r.status_code == 400
    assert r.json()["message"].startswith("status:")


# --- GET /api/subscribers/{id}/export and /activity --------------------------------


def test_it_exports_a_subscriber_as_listmonk(api_client, crowd, make_list):
    news, _, subs = crowd
    secret = make_list("Secret", type="private")
    news.type = "public"
    news.save()
    ann = subs["ann"]
    Subscription.objects.create(subscriber=ann, list=secret, status="confirmed")
    r = api_client.get(f"/api/subscribers/{ann.id}/export")
    assert r.status_code == 200
    assert r["Content-Disposition"] == 'attachment; filename="data.json"'
    data = r.json()
    assert set(data) == {"profile", "subscriptions", "campaign_views", "link_clicks"}
    assert data["profile"][0]["email"] == "ann@example.com"
    assert data["profile"][0]["uuid"] == str(ann.uuid)
    assert [(s["name"], s["type"]) for s in data["subscriptions"]] == [
        ("News", "public"),
        ("Private list", "private"),
    ]
    assert (data["campaign_views"], data["link_clicks"]) == ([], [])


def test_it_reports_activity_through_the_tracking_hook(api_client, crowd, monkeypatch):
    ann = crowd[2]["ann"]
    r = api_client.get(f"/api/subscribers/{ann.id}/activity")
    assert r.json() == {"data": {"campaign_views": [], "link_clicks": []}}

    def reader(subscriber_id):
        return {
            "campaign_views": [{"subject": "Hello", "view_count": 2}],
            "link_clicks": [
                {"url": "https://a.example", "click_count": 1},
                {"url": "https://a.example", "click_count": 2},
            ],
        }

    monkeypatch.setattr(activity, "_readers", [reader])
    r = api_client.get(f"/api/subscribers/{ann.id}/activity")
    assert r.json()["data"]["campaign_views"] == [{"subject": "Hello", "view_count": 2}]
    exported = api_client.get(f"/api/subscribers/{ann.id}/export").json()
    assert exported["campaign_views"] == [{"campaign": "Hello", "views": 2}]
    assert exported["link_clicks"] == [{"url": "https://a.example", "clicks": 3}]


def test_it_answers_404_for_unknown_subscribers_export_and_activity(api_client, db):
    assert api_client.get("/api/subscribers/999999/export").status_code == 404
    assert api_client.get("/api/subscribers/999999/activity").status_code == 404
