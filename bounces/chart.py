"""Bounces per day by type, for the chart above the Bounces table.

`daily_counts` runs one aggregate query; `stacked_bars` turns its result into
SVG geometry, so the template draws the chart without JavaScript. Both take
other series too (the dashboard's mail sent per day): `field` names the date
column, `by` the column that splits the series (None: one series).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

TYPES = ("hard", "soft", "complaint")
COLORS = {"hard": "#c0392b", "soft": "#e0a030", "complaint": "#7b4fc9"}
DEFAULT_DAYS = 30
# Past this the bars get thinner than a pixel; the chart then shows the newest days.
MAX_DAYS = 366


@dataclass
class Day:
    day: date
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def chart_range(start: date | None, end: date | None) -> tuple[date, date]:
    """The days to draw: the filter's dates, else the last 30 days."""
    end = end or timezone.localdate()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    if (end - start).days >= MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS - 1)
    return start, end


def daily_counts(
    qs: QuerySet,
    start: date,
    end: date,
    *,
    field: str = "created_at",
    by: str | None = "type",
    series: tuple[str, ...] | None = TYPES,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Day]:
    """Count rows per local day and `by` value, from `start` to `end` inclusive.

    `since`/`until` narrow the first and last day to a period's exact bounds.
    With `by=None` every row counts in the one series `series[0]`; with
    `series=None` every value of `by` found is kept.
    """
    tz = timezone.get_current_timezone()
    lo = timezone.make_aware(datetime.combine(start, time.min), tz)
    hi = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz)
    lo, hi = max(lo, since) if since else lo, min(hi, until) if until else hi
    keys = ("day", by) if by else ("day",)
    rows = (
        qs.filter(**{f"{field}__gte": lo, f"{field}__lt": hi})
        .order_by()
        .annotate(day=TruncDate(field, tzinfo=tz))
        .values(*keys)
        .annotate(n=Count("id"))
    )
    days = {
        start + timedelta(days=i): Day(
            start + timedelta(days=i), dict.fromkeys(series or (), 0)
        )
        for i in range((end - start).days + 1)
    }
    for row in rows:
        day = row["day"]
        if isinstance(day, datetime):
            day = day.date()
        key = row[by] if by else (series or ("",))[0]
        if day in days and (series is None or key in series):
            counts = days[day].counts
            counts[key] = counts.get(key, 0) + row["n"]
    return list(days.values())


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


def _nice_max(value: int) -> int:
    """A round top for the y axis (1, 2, 5, 10, 20, 50, ...)."""
    step = 1
    while True:
        for mult in (1, 2, 5):
            if value <= step * mult:
                return step * mult
        step *= 10


def stacked_bars(
    days: list[Day],
    *,
    width: int = 900,
    height: int = 180,
    pad_left: int = 36,
    series: tuple[str, ...] = TYPES,
    colors: dict[str, str] = COLORS,
) -> dict:
    """SVG geometry: one stacked bar per day (the first series at the bottom)."""
    plot_w = width - pad_left - 8
    plot_h = height - 24
    top = _nice_max(max((d.total for d in days), default=0) or 1)
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.8, 1.0)
    bars = []
    for i, d in enumerate(days):
        x = pad_left + i * slot + (slot - bar_w) / 2
        y = plot_h + 4
        for btype in series:
            n = d.counts.get(btype, 0)
            if not n:
                continue
            h = n / top * plot_h
            y -= h
            bars.append(
                Bar(
                    round(x, 2),
                    round(y, 2),
                    round(bar_w, 2),
                    round(h, 2),
                    colors[btype],
                    f"{d.day.isoformat()}: {n} {btype}",
                )
            )
    every = max(1, len(days) // 8)
    labels = [
        {"x": round(pad_left + i * slot + slot / 2, 2), "text": d.day.strftime("%b %d")}
        for i, d in enumerate(days)
        if i % every == 0
    ]
    return {
        "width": width,
        "height": height,
        "plot_left": pad_left,
        "plot_bottom": plot_h + 4,
        "plot_right": width - 8,
        "top": top,
        "mid": top // 2 if top % 2 == 0 else None,
        "mid_y": round(4 + plot_h / 2, 2),
        "bars": bars,
        "labels": labels,
        "label_y": height - 4,
        "legend": [
            {
                "type": t,
                "total": sum(d.counts.get(t, 0) for d in days),
                "color": colors[t],
            }
            for t in series
        ],
    }
