"""The Analytics page's and the campaign page's charts: views, clicks and
bounces per day, one stacked series per campaign, drawn by bounces.chart's
stacked_bars (the one chart helper) from the API's own queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from bounces.chart import Day, stacked_bars
from monitoring.analytics.queries import Query, daily, day_range

SERIES_KINDS = ("views", "clicks", "bounces")
PALETTE = ("#2f6fde", "#0f9d8a", "#e0a030", "#8e44ad", "#c0392b", "#2c3e50",
           "#16a085", "#d35400", "#7b4fc9", "#5b6270")  # fmt: skip


def label(campaign: Any) -> str:
    name = campaign.name if len(campaign.name) <= 30 else campaign.name[:29] + "…"
    return f"#{campaign.pk} {name}"


def charts(
    campaigns: Sequence[Any], start: date, end: date, *, bots: bool = False,
    height: int = 150,
) -> dict[str, dict]:  # fmt: skip
    """{"views": geometry, "clicks": ..., "bounces": ...} from start to end."""
    since, until = day_range(start, end)
    q = Query(tuple(c.pk for c in campaigns), since, until, bots)
    labels = {c.pk: label(c) for c in campaigns}
    series = tuple(labels.values())
    colors = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(series)}
    out = {}
    for kind in SERIES_KINDS:
        days = {
            start + timedelta(days=i): Day(
                start + timedelta(days=i), dict.fromkeys(series, 0)
            )
            for i in range((end - start).days + 1)
        }
        for row in daily(kind, q):
            day = days.get(date.fromisoformat(row["timestamp"][:10]))
            if day is not None:
                day.counts[labels[row["campaign_id"]]] += row["count"]
        out[kind] = stacked_bars(
            list(days.values()), height=height, series=series, colors=colors
        )
    return out
