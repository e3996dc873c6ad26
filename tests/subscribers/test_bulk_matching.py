"""Bulk actions on every subscriber matching the page's filter, not only the 50
on screen ("Select all N matching")."""

from __future__ import annotations

import pytest

from subscribers import bulk
from subscribers.models import Subscriber, Subscription

pytestmark = pytest.mark.django_db


def make_people(n: int, prefix: str) -> list[Subscriber]:
    Subscriber.objects.bulk_create(
        Subscriber(email=f"{prefix}{i:03}@example.com", name=f"{prefix}{i}")
        for i in range(n)
    )
    return list(Subscriber.objects.filter(email__startswith=prefix))


def test_the_page_offers_the_matching_count_and_carries_the_filter(client_alice):
    make_people(120, "keep")
    make_people(3, "other")
    body = client_alice.get("/subscribers/?search=keep").content.decode()
    assert "Select all 120 matching" in body
    assert 'name="filter" value="search=keep"' in body
    assert 'name="expected" value="120"' in body


def test_it_deletes_every_match_beyond_the_page(client_alice):
    make_people(120, "gone")
    kept = make_people(3, "stay")
    r = client_alice.post(
        "/subscribers/bulk",
        {
            "scope": "matching",
            "filter": "search=gone",
            "expected": "120",
            "action": "delete",
            "next": "/subscribers/?search=gone",
        },
        follow=True,
    )
    assert "120 subscriber(s) deleted." in r.content.decode()
    assert sorted(Subscriber.objects.values_list("id", flat=True)) == sorted(
        s.pk for s in kept
    )


def test_it_adds_every_match_to_a_list_in_chunks(client_alice, make_list, monkeypatch):
    lst = make_list()
    people = make_people(7, "in")
    make_people(2, "out")
    monkeypatch.setattr(bulk, "CHUNK", 3)  # several chunks in the one transaction
    client_alice.post(
        "/subscribers/bulk",
        {
            "scope": "matching",
            "filter": "search=in",
            "expected": "7",
            "action": "add",
            "list": lst.pk,
        },
    )
    assert set(
        Subscription.objects.filter(list=lst).values_list("subscriber_id", flat=True)
    ) == {s.pk for s in people}


def test_it_changes_nothing_when_the_count_moved_since_the_question(client_alice):
    make_people(5, "blk")
    r = client_alice.post(
        "/subscribers/bulk",
        {
            "scope": "matching",
            "filter": "search=blk",
            "expected": "4",
            "action": "blocklist",
        },
        follow=True,
    )
    body = r.content.decode()
    assert "now matches 5 subscriber(s), not 4: nothing was changed" in body
    assert not Subscriber.objects.filter(status="blocklisted").exists()


@pytest.mark.parametrize(
    "data",
    [
        {"scope": "matching", "filter": "list_id=424242", "expected": "0"},
        {"scope": "matching", "filter": "status=nope", "expected": "1"},
        {"scope": "matching", "filter": "search=x"},
        {"scope": "matching", "filter": "search=x", "expected": "-1"},
        {"scope": "everything", "filter": "", "expected": "1"},
    ],
)
def test_it_rejects_a_bad_matching_request(client_alice, make_subscriber, data):
    a = make_subscriber("x@example.com")
    r = client_alice.post(
        "/subscribers/bulk", {**data, "action": "delete"}, follow=True
    )
    assert r.status_code == 200
    assert "msg error" in r.content.decode()
    assert Subscriber.objects.filter(pk=a.pk).exists()
