"""GET /api/campaigns/analytics/{views|clicks|bounces|links}: listmonk's shapes."""

from __future__ import annotations

import pytest

from stmails.config import update_settings
from tests.monitoring.analytics.helpers import D1, D2, bounce, campaign, clicks, views

pytestmark = pytest.mark.django_db
RANGE = "from=2024-01-01&to=2024-01-31"


def get(client, kind, query):
    return client.get(f"/api/campaigns/analytics/{kind}?{query}")


def test_views_per_campaign_and_day(api_client):
    a, b = campaign("A"), campaign("B")
    views(a, D1, 3)
    views(a, D2, 1)
    views(b, D2, 2)
    views(b, D2, 5, bot=True)  # left out by default
    views(a, D2.replace(month=2), 4)  # outside the range

    r = get(api_client, "views", f"id={a.pk}&id={b.pk}&{RANGE}")

    assert r.status_code == 200, r.content
    assert r.json() == {
        "data": [
            {"campaign_id": a.pk, "count": 3, "timestamp": "2024-01-10T00:00:00Z"},
            {"campaign_id": a.pk, "count": 1, "timestamp": "2024-01-11T00:00:00Z"},
            {"campaign_id": b.pk, "count": 2, "timestamp": "2024-01-11T00:00:00Z"},
        ]
    }
    with_bots = get(api_client, "views", f"id={b.pk}&{RANGE}&bots=true").json()
    assert with_bots["data"][0]["count"] == 7


def test_clicks_and_top_links(api_client):
    a = campaign()
    clicks(a, "https://example.org/a", D1, 2)
    clicks(a, "https://example.org/b", D2, 5)
    clicks(a, "https://example.org/c", D2, 9, bot=True)

    r = get(api_client, "clicks", f"id={a.pk}&{RANGE}")
    assert [row["count"] for row in r.json()["data"]] == [2, 5]

    r = get(api_client, "links", f"id={a.pk}&{RANGE}")
    assert r.json() == {
        "data": [
            {"url": "https://example.org/b", "count": 5},
            {"url": "https://example.org/a", "count": 2},
        ]
    }


def test_bounces_per_day(api_client, make_subscriber):
    a, ann = campaign(), make_subscriber()
    bounce(a, ann, D1)
    bounce(a, ann, D1, "soft")

    r = get(api_client, "bounces", f"id={a.pk}&{RANGE}")

    assert r.json()["data"] == [
        {"campaign_id": a.pk, "count": 2, "timestamp": "2024-01-10T00:00:00Z"}
    ]


def test_individual_tracking_counts_a_subscriber_once_a_day(api_client):
    a = campaign()
    update_settings({"privacy.individual_tracking": True})
    views(a, D1, 4, subscriber_id=7)
    views(a, D1, 2)  # without a subscriber: each counts
    clicks(a, "https://example.org/a", D1, 3, subscriber_id=7)

    assert (
        get(api_client, "views", f"id={a.pk}&{RANGE}").json()["data"][0]["count"] == 3
    )
    assert (
        get(api_client, "links", f"id={a.pk}&{RANGE}").json()["data"][0]["count"] == 1
    )


def test_the_last_day_counts_whole(api_client):
    a = campaign()
    views(a, D2, 1)  # 23:30 on the 11th
    r = get(api_client, "views", f"id={a.pk}&from=2024-01-11&to=2024-01-11")
    assert r.json()["data"][0]["count"] == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (RANGE, "id: give at least one campaign id"),
        (f"id=x&{RANGE}", "id: invalid id 'x'"),
        (f"id=-1&{RANGE}", "id: invalid id '-1'"),
        ("id=1&to=2024-01-01", "from: is required"),
        ("id=1&from=2024-01-01", "to: is required"),
        ("id=1&from=yesterday&to=2024-01-01", "from: must be a date"),
        ("id=1&from=2024-01-01&to=2024-13-45", "to: must be a date"),
        ("id=1&from=2024-02-01&to=2024-01-01", "to: must be on or after from"),
        ("id=1&from=2020-01-01&to=2024-01-01", "to: the range is at most 366 days"),
        (f"id=1&{RANGE}&page=x&campaign=1", "campaign: unknown parameter"),
        ("&".join(f"id={i}" for i in range(1, 60)) + f"&{RANGE}", "id: at most 50"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client, query, message):
    r = get(api_client, "views", query)

    assert r.status_code == 400
    assert r.json()["message"].startswith(message)


def test_unknown_kind_is_404_and_the_api_needs_auth(api_client, client):
    assert get(api_client, "opens", f"id=1&{RANGE}").status_code == 404
    assert get(client, "views", f"id=1&{RANGE}").status_code in (401, 403)


def test_analytics_is_not_swallowed_by_the_campaign_route(api_client):
    a = campaign()
    assert api_client.get(f"/api/campaigns/{a.pk}").status_code == 200
    r = get(api_client, "links", f"id={a.pk}&{RANGE}")
    assert r.json() == {"data": []}


def test_campaign_objects_carry_views_and_clicks(api_client):
    a = campaign()
    a.views, a.clicks = 12, 3
    a.save()

    listed = api_client.get("/api/campaigns").json()["data"]["results"][0]
    one = api_client.get(f"/api/campaigns/{a.pk}").json()["data"]

    assert (listed["views"], listed["clicks"]) == (12, 3)
    assert (one["views"], one["clicks"]) == (12, 3)
