"""Lists keep listmonk's status (active, archived): archived lists are not
offered publicly; DELETE /api/lists deletes by ids, by name query or all."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from subscribers.models import MailingList, Subscription
from subscribers.subscription import optin

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


def test_it_creates_lists_active_and_archives_them(api_client):
    r = send(api_client, "post", "/api/lists", {"name": "Weekly", "type": "public"})
    data = r.json()["data"]
    assert data["status"] == "active"
    r = send(api_client, "put", f"/api/lists/{data['id']}", {"status": "archived"})
    assert r.json()["data"]["status"] == "archived"
    assert r.json()["data"]["type"] == "public"
    r = send(api_client, "put", f"/api/lists/{data['id']}", {"status": "deleted"})
    assert r.status_code == 400
    assert r.json()["message"].startswith("status:")


def test_it_filters_the_listing_by_status(api_client, make_list):
    make_list("Live")
    make_list("Old", status="archived")

    def names(query):
        results = api_client.get("/api/lists" + query).json()["data"]["results"]
        return [x["name"] for x in results]

    assert names("") == ["Live", "Old"]
    assert names("?status=archived") == ["Old"]
    assert names("?status=active&status=archived") == ["Live", "Old"]
    r = api_client.get("/api/lists?status=gone")
    assert r.status_code == 400
    assert r.json()["message"].startswith("status:")


def test_archived_lists_are_not_offered_publicly(client, make_list, make_subscriber):
    live = make_list("Live", type="public")
    old = make_list("Old", type="public", status="archived")
    r = client.get("/api/public/lists")
    assert [x["name"] for x in r.json()] == ["Live"]
    r = client.post(
        "/api/public/subscription",
        data=json.dumps({"email": "a@example.com", "list_uuids": [str(old.uuid)]}),
        content_type="application/json",
    )
    assert r.status_code == 400
    assert "list_uuids" in r.json()["message"]
    # A member keeps seeing (and may leave) an archived list, but nobody joins it.
    ann = make_subscriber("ann@example.com")
    Subscription.objects.create(subscriber=ann, list=old, status="confirmed")
    bob = make_subscriber("bob@example.com")
    assert [lst.name for lst, _ in optin.preference_lists(ann)] == ["Live", "Old"]
    assert [lst.name for lst, _ in optin.preference_lists(bob)] == ["Live"]
    optin.update_preferences(bob, [old.id, live.id])
    assert not Subscription.objects.filter(subscriber=bob, list=old).exists()


def test_it_deletes_lists_by_ids_by_query_or_all(api_client, make_list):
    a, b = make_list("Alpha news"), make_list("Beta news")
    c, d = make_list("Gamma"), make_list("Delta")
    r = api_client.delete(f"/api/lists?id={a.id}&id={b.id}")
    assert (r.status_code, r.json()) == (200, {"data": True})
    assert set(MailingList.objects.values_list("name", flat=True)) == {"Gamma", "Delta"}
    r = api_client.delete("/api/lists?query=gam")
    assert r.status_code == 200
    assert list(MailingList.objects.values_list("id", flat=True)) == [d.id]
    assert c.id not in MailingList.objects.values_list("id", flat=True)
    r = api_client.delete("/api/lists?all=true")
    assert r.status_code == 200
    assert not MailingList.objects.exists()


def test_it_keeps_internal_lists_out_of_a_bulk_delete(api_client, make_list):
    hidden = make_list("Self-test", internal=True)
    make_list("Visible")
    assert api_client.delete("/api/lists?all=true").status_code == 200
    assert list(MailingList.objects.all()) == [hidden]


@pytest.mark.parametrize(
    "query, field",
    [("", "id"), ("?id=abc", "id"), ("?query=%20", "id"), ("?name=x", "name")],
)
def test_it_refuses_a_bulk_delete_without_a_target(api_client, make_list, query, field):
    make_list("Keep")
    r = api_client.delete("/api/lists" + query)
    assert r.status_code == 400
    assert r.json()["message"].startswith(f"{field}:")
    assert MailingList.objects.count() == 1
