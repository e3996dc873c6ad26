"""One subscriber's views and clicks in listmonk's activity shape, for
GET /api/subscribers/{id}/export and /activity (subscribers.activity reads
them through the reader campaigns.apps registers: that layer cannot import
this one). Bot and prefetch hits are left out, as the charts leave them out."""

from __future__ import annotations

from django.db.models import Count, Max

from campaigns.tracking.models import CampaignView, LinkClick
from stmails.lib.dates import rfc3339
from subscribers.activity import Tracking

LIMIT = 1000  # rows of each kind: a subscriber's lifetime, not a table scan


def subscriber_tracking(subscriber_id: int) -> Tracking:
    views = (
        CampaignView.objects.filter(subscriber_id=subscriber_id, is_bot=False)
        .values("campaign_id", "campaign__uuid", "campaign__name", "campaign__subject")
        .annotate(view_count=Count("id"), last_viewed_at=Max("created_at"))
        .order_by("-last_viewed_at")[:LIMIT]
    )
    clicks = (
        LinkClick.objects.filter(subscriber_id=subscriber_id, is_bot=False)
        .values(
            "link_id",
            "link__url",
            "campaign_id",
            "campaign__uuid",
            "campaign__name",
            "campaign__subject",
        )  # fmt: skip
        .annotate(click_count=Count("id"), last_clicked_at=Max("created_at"))
        .order_by("-last_clicked_at")[:LIMIT]
    )
    return {
        "campaign_views": [
            {
                "id": v["campaign_id"],
                "uuid": str(v["campaign__uuid"]),
                "name": v["campaign__name"],
                "subject": v["campaign__subject"],
                "view_count": v["view_count"],
                "last_viewed_at": rfc3339(v["last_viewed_at"]),
            }
            for v in views
        ],
        "link_clicks": [
            {
                "link_id": c["link_id"],
                "url": c["link__url"],
                "campaign_id": c["campaign_id"],
                "campaign_uuid": str(c["campaign__uuid"])
                if c["campaign__uuid"]
                else None,
                "campaign_name": c["campaign__name"],
                "campaign_subject": c["campaign__subject"],
                "click_count": c["click_count"],
                "last_clicked_at": rfc3339(c["last_clicked_at"]),
            }
            for c in clicks
        ],
    }
