"""A subscriber's views and clicks reach GET /api/subscribers/{id}/activity and
/export (listmonk's shapes), bots left out."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import Campaign
from campaigns.tracking.models import CampaignView, Link, LinkClick

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_views_and_clicks_of_one_subscriber(api_client, make_subscriber):
    ann = make_subscriber(email="ann@example.com", name="Ann")
    bob = make_subscriber(email="bob@example.com", name="Bob")
    spring = Campaign.objects.create(name="Spring", subject="Spring news")
    link = Link.objects.create(url="https://shop.example/sale")
    for minutes in (0, 5):
        CampaignView.objects.create(
            campaign=spring,
            subscriber_id=ann.id,
            created_at=T0 + dt.timedelta(minutes=minutes),
        )
    CampaignView.objects.create(campaign=spring, subscriber_id=bob.id, created_at=T0)
    CampaignView.objects.create(
        campaign=spring, subscriber_id=ann.id, created_at=T0, is_bot=True
    )
    LinkClick.objects.create(
        campaign=spring, link=link, subscriber_id=ann.id, created_at=T0
    )

    data = api_client.get(f"/api/subscribers/{ann.id}/activity").json()["data"]
    assert data["campaign_views"] == [
        {
            "id": spring.id,
            "uuid": str(spring.uuid),
            "name": "Spring",
            "subject": "Spring news",
            "view_count": 2,  # the bot's view is not counted
            "last_viewed_at": "2026-03-01T12:05:00Z",
        }
    ]
    assert [
        (c["url"], c["click_count"], c["campaign_id"]) for c in data["link_clicks"]
    ] == [("https://shop.example/sale", 1, spring.id)]
    exported = api_client.get(f"/api/subscribers/{ann.id}/export").json()
    assert exported["campaign_views"] == [{"campaign": "Spring news", "views": 2}]
    assert exported["link_clicks"] == [
        {"url": "https://shop.example/sale", "clicks": 1}
    ]
