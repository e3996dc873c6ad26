"""/api/lists, as listmonk's."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from subscribers.models import MailingList, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    cache.clear()


def send(client, method, url, body):
    return getattr(client, method)(
        url, data=json.dumps(body), content_type="application/json"
    )


def test_it_creates_reads_updates_and_deletes_a_list(api_client):
    r = send(
        api_client,
        "post",
        "/api/lists",
        {
            "name": "Weekly",
            "type": "public",
            "optin": "double",
            "tags": ["news"],
            "description": "Every Monday",
        },
    )
    assert r.status_code == 200, r.json()
    data = r.json()["data"]
    assert (data["name"], data["type"], data["optin"], data["tags"]) == (
        "Weekly",
        "public",
        "double",
        ["news"],
    )
    assert data["subscriber_count"] == 0
    assert data["subscriber_statuses"] == {
        "unconfirmed": 0,
        "confirmed": 0,
        "unsubscribed": 0,
    }
    assert data["created_at"].endswith("Z")
    pk = data["id"]
    assert api_client.get(f"/api/lists/{pk}").json()["data"]["uuid"] == data["uuid"]
    r = send(
        api_client, "put", f"/api/lists/{pk}", {"name": "Monthly", "optin": "single"}
    )
    assert (r.json()["data"]["name"], r.json()["data"]["optin"]) == (
        "Monthly",
        "single",
    )
    assert r.json()["data"]["type"] == "public"
    assert api_client.delete(f"/api/lists/{pk}").json() == {"data": True}
    assert not MailingList.objects.exists()


def test_it_404s_unknown_lists(api_client):
    assert api_client.get("/api/lists/999999").status_code == 404
    assert (
        send(api_client, "put", "/api/lists/999999", {"name": "x"}).status_code == 404
    )
    r = api_client.delete("/api/lists/999999")
    assert r.status_code == 404
    assert "message" in r.json()


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "A", "type": "secret"}, "type"),
        ({"name": "A", "optin": "triple"}, "optin"),
        ({"name": "A", "tags": [1, 2]}, "tags"),
        ({"name": "A", "description": 5}, "description"),
    ],
)
def test_it_rejects_bad_list_input(api_client, make_list, body, field):
    r = send(api_client, "post", "/api/lists", body)
    assert r.status_code == 400, r.json()
    assert r.json()["message"].startswith(f"{field}:")
    assert not MailingList.objects.exists()
    lst = make_list("Keep")
    r = send(api_client, "put", f"/api/lists/{lst.id}", body or {"name": ""})
    assert r.status_code == 400
    lst.refresh_from_db()
    assert lst.name == "Keep"


def test_it_counts_members_per_status(api_client, make_list, make_subscriber):
    a, b = make_list("A"), make_list("B")
    for i, status in enumerate(
        ["confirmed", "confirmed", "unconfirmed", "unsubscribed"]
    ):
        Subscription.objects.create(subscriber=make_subscriber(), list=a, status=status)
        if i == 0:
            Subscription.objects.create(
                subscriber=make_subscriber(), list=b, status=status
            )
    data = api_client.get("/api/lists").json()["data"]
    assert (data["total"], data["page"], data["per_page"]) == (2, 1, 20)
    by_name = {r["name"]: r for r in data["results"]}
    assert by_name["A"]["subscriber_count"] == 4
    assert by_name["A"]["subscriber_statuses"] == {
        "unconfirmed": 1,
        "confirmed": 2,
        "unsubscribed": 1,
    }
    assert by_name["B"]["subscriber_count"] == 1
    data = api_client.get("/api/lists?order_by=subscriber_count&order=desc").json()[
        "data"
    ]
    assert [r["name"] for r in data["results"]] == ["A", "B"]


def test_it_searches_filters_by_tag_and_paginates(api_client, make_list):
    make_list("Alpha news", tags=["news", "weekly"])
    make_list("Beta news", tags=["news"])
    make_list("Gamma", tags=["weekly"])

    def names(query):
        data = api_client.get("/api/lists" + query).json()["data"]
        return [r["name"] for r in data["results"]]

    assert names("?query=NEWS") == ["Alpha news", "Beta news"]
    assert names("?tag=weekly") == ["Alpha news", "Gamma"]
    assert names("?tag=weekly&tag=news") == ["Alpha news"]
    assert names("?order_by=name&order=desc") == ["Gamma", "Beta news", "Alpha news"]
    data = api_client.get("/api/lists?per_page=2&page=2").json()["data"]
    assert (data["total"], [r["name"] for r in data["results"]]) == (3, ["Gamma"])


def test_it_returns_all_lists_without_counts_when_minimal(api_client, make_list):
    for i in range(25):
        make_list(f"L{i}")
    data = api_client.get("/api/lists?minimal=true&per_page=5").json()["data"]
    assert data["total"] == 25
    assert len(data["results"]) == 25
    assert "subscriber_count" not in data["results"][0]


def test_it_counts_lists_in_a_fixed_number_of_queries(
    api_client, make_list, make_subscriber, django_assert_max_num_queries
):
    for i in range(10):
        lst = make_list(f"L{i}")
        Subscription.objects.create(subscriber=make_subscriber(), list=lst)
    # +3: the lockout's count, give-back and (a new window) prune of stmails.lockout.
    with django_assert_max_num_queries(7):
        data = api_client.get("/api/lists").json()["data"]
    assert len(data["results"]) == 10
