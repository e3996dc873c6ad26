"""The Bounces page's email filter matches part of an address; a bad or
inverted date range is a 400 with the error beside the field, on the page and
in GET /api/bounces (and the subscribers API's created_from/created_to)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.django_db

DAY = datetime(2024, 3, 10, 12, tzinfo=UTC)


def emails_on_page(response) -> list[str]:
    return sorted(b.subscriber.email for b in response.context["page"])


@pytest.fixture
def bounces(make_subscriber, make_bounce):
    for email in ("ann@shop.example", "bob@shop.example", "ann.lee@other.test"):
        make_bounce(make_subscriber(email), created_at=DAY)
    make_bounce(make_subscriber("x_y@example.com"), created_at=DAY)


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("ann", ["ann.lee@other.test", "ann@shop.example"]),
        ("SHOP.EX", ["ann@shop.example", "bob@shop.example"]),
        ("x_y", ["x_y@example.com"]),
        ("_", ["x_y@example.com"]),  # _ is literal, not a wildcard
        ("%", []),
        ("nobody", []),
    ],
)
def test_the_email_filter_matches_part_of_an_address(
    client_alice, bounces, email, expected
):
    r = client_alice.get("/bounces/", {"email": email})
    assert r.status_code == 200
    assert emails_on_page(r) == expected


def test_the_export_link_carries_the_partial_email(client_alice, bounces):
    r = client_alice.get("/bounces/", {"email": "shop"})
    assert "email_contains=shop" in r.context["export_url"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            {"from": "2024-03-11", "to": "2024-03-09"},
            "to",
            "The last day must be on or after the first day.",
        ),
        ({"from": "2024-13-45"}, "from", "Enter a valid date."),
        ({"to": "yesterday"}, "to", "Enter a valid date."),
    ],
)
def test_a_bad_date_range_says_so_beside_the_field(
    client_alice, bounces, query, field, message
):
    r = client_alice.get("/bounces/", query)
    assert r.status_code == 400
    assert r.context["form"].errors[field] == [message]
    assert message in r.content.decode()


def test_a_one_day_range_is_fine(client_alice, bounces):
    r = client_alice.get("/bounces/", {"from": "2024-03-10", "to": "2024-03-10"})
    assert r.status_code == 200
    assert len(emails_on_page(r)) == 4


def test_the_api_rejects_an_inverted_range_naming_the_field(api_client, bounces):
    r = api_client.get("/api/bounces", {"from": "2024-03-11", "to": "2024-03-09"})
    assert r.status_code == 400
    assert "to" in r.json()["message"]
    ok = api_client.get("/api/bounces", {"email_contains": "shop"})
    assert ok.status_code == 200
    assert ok.json()["data"]["total"] == 2


def test_the_subscribers_api_rejects_an_inverted_range(api_client, make_subscriber):
    make_subscriber()
    r = api_client.get(
        "/api/subscribers",
        {"created_from": "2024-03-11", "created_to": "2024-03-09"},
    )
    assert r.status_code == 400
    assert "created_to" in r.json()["message"]
