"""Rows for the analytics tests: views, clicks and bounces at given times."""

from __future__ import annotations

from datetime import UTC, datetime

from bounces.models import Bounce
from campaigns.models import Campaign, CampaignView, Link, LinkClick

D1 = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
D2 = datetime(2024, 1, 11, 23, 30, tzinfo=UTC)


def campaign(name="Jan") -> Campaign:
    return Campaign.objects.create(name=name, subject="s")


def views(c, at, n=1, *, subscriber_id=None, bot=False):
    for _ in range(n):
        CampaignView.objects.create(
            campaign=c, created_at=at, subscriber_id=subscriber_id, is_bot=bot,
            bot_reason="user_agent" if bot else "",
        )  # fmt: skip


def clicks(c, url, at, n=1, *, subscriber_id=None, bot=False):
    link, _ = Link.objects.get_or_create(url=url)
    for _ in range(n):
        LinkClick.objects.create(
            campaign=c, link=link, created_at=at, subscriber_id=subscriber_id,
            is_bot=bot, bot_reason="user_agent" if bot else "",
        )  # fmt: skip


def bounce(c, subscriber, at, type="hard"):
    Bounce.objects.create(
        subscriber=subscriber, campaign=c, type=type, source="api",
        email=subscriber.email, created_at=at,
    )  # fmt: skip
