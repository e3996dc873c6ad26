"""{% campaign_analytics campaign %}: the campaign page's views, clicks and
bounces with small daily charts. The page belongs to campaigns, which may not
import monitoring; its template asks for this fragment instead."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils import timezone

from monitoring.analytics import charts, queries

register = template.Library()
DAYS = 30


@register.inclusion_tag("monitoring/_campaign_analytics.html")
def campaign_analytics(campaign) -> dict:
    """The campaign's first 30 days (from its start), or the last 30 days
    before it started."""
    today = timezone.localdate()
    started = campaign.started_at
    first = timezone.localdate(started) if started else today - timedelta(days=DAYS - 1)
    last = min(today, first + timedelta(days=DAYS - 1))
    first = min(first, last)
    return {
        "campaign": campaign,
        "totals": queries.totals([campaign.pk])[campaign.pk],
        "charts": charts.charts([campaign], first, last, height=110),
    }
