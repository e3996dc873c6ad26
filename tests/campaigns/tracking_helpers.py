"""Campaigns, links and hits for the tracking tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from campaigns.models import Campaign
from campaigns.tracking import hits
from campaigns.tracking.models import Link, TrackingHit

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Thunderbird/128.0"


def campaign(name: str = "Spring", **kw) -> Campaign:
    return Campaign.objects.create(name=name, subject="Hi", **kw)


def link(url: str = "https://example.org/a") -> Link:
    hits._URLS.clear()
    return Link.objects.create(url=url)


def hit(kind: str, c: Campaign | None, sub=None, *, link_id=None, at=T0, **kw):
    kw.setdefault("user_agent", BROWSER)
    kw.setdefault("individual", True)
    return TrackingHit.objects.create(
        kind=kind,
        campaign_uuid=c.uuid if c else uuid.uuid4(),
        subscriber_uuid=sub.uuid if sub else None,
        link_id=link_id,
        created_at=at,
        **kw,
    )
