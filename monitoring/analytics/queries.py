"""The analytics queries (read-only), one shape for the API and the pages.

views, clicks and bounces are counted per campaign and day (the server's
time zone) as listmonk does: [{campaign_id, count, timestamp}]; links are the
top URLs: [{url, count}]. With privacy.individual_tracking on, a subscriber
counts once per day (and once per link), as in listmonk; views and clicks
recorded without a subscriber each count. Hits flagged as bots are left out
unless `bots` is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from bounces.models import Bounce
from campaigns.models import CampaignView, LinkClick
from stmails import config
from stmails.lib.dates import parse_bound, rfc3339
from stmails.lib.input_checks import InvalidInput, parse_id

KINDS = ("views", "clicks", "bounces", "links")
MAX_CAMPAIGNS = 50
MAX_DAYS = 366
TOP_LINKS = 50


@dataclass(frozen=True)
class Query:
    campaign_ids: tuple[int, ...]
    since: datetime
    until: datetime  # inclusive
    bots: bool = False


def parse_query(params: Any) -> Query:
    """From a QueryDict (id repeated, from, to, bots); InvalidInput names the field."""
    raw_ids = [v for v in params.getlist("id") if v != ""]
    if not raw_ids:
        raise InvalidInput("id", "give at least one campaign id")
    if len(raw_ids) > MAX_CAMPAIGNS:
        raise InvalidInput("id", f"at most {MAX_CAMPAIGNS} campaigns")
    ids = tuple(dict.fromkeys(parse_id(v, "id") for v in raw_ids))
    bounds = []
    for name, end in (("from", False), ("to", True)):
        raw = (params.get(name) or "").strip()
        if not raw:
            raise InvalidInput(name, "is required (YYYY-MM-DD)")
        value = parse_bound(raw[:40], end=end)
        if value is None:
            raise InvalidInput(name, "must be a date (YYYY-MM-DD) or an RFC 3339 time")
        bounds.append(value)
    since, until = bounds
    if until < since:
        raise InvalidInput("to", "must be on or after from")
    if until - since > timedelta(days=MAX_DAYS):
        raise InvalidInput("to", f"the range is at most {MAX_DAYS} days")
    bots = (params.get("bots") or "").lower() in ("1", "true", "yes", "on")
    return Query(ids, since, until, bots)


def day_range(start: date, end: date) -> tuple[datetime, datetime]:
    """The whole days from start to end in the server's time zone (for pages)."""
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end, time.max), tz),
    )


def _rows(model, q: Query) -> QuerySet:
    rows = model.objects.filter(
        campaign_id__in=q.campaign_ids,
        created_at__gte=q.since,
        created_at__lte=q.until,
    )
    if model is not Bounce and not q.bots:
        rows = rows.filter(is_bot=False)
    return rows.order_by()


def _count(unique: bool) -> Any:
    if not unique:
        return Count("id")
    # A subscriber once; rows without a subscriber each count (listmonk).
    return Count("subscriber_id", distinct=True) + Count(
        "id", filter=Q(subscriber_id__isnull=True)
    )


def unique_counts() -> bool:
    return bool(config.get_value("privacy.individual_tracking"))


def daily(kind: str, q: Query, *, unique: bool | None = None) -> list[dict[str, Any]]:
    """[{campaign_id, count, timestamp}] per campaign and day, oldest first."""
    model = {"views": CampaignView, "clicks": LinkClick, "bounces": Bounce}[kind]
    if unique is None:
        unique = kind != "bounces" and unique_counts()
    tz = timezone.get_current_timezone()
    rows = (
        _rows(model, q)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("campaign_id", "day")
        .annotate(n=_count(unique))
        .order_by("day", "campaign_id")
    )
    out = []
    for row in rows:
        day = row["day"]
        day = day.date() if isinstance(day, datetime) else day
        start = timezone.make_aware(datetime.combine(day, time.min), tz)
        out.append(
            {
                "campaign_id": row["campaign_id"],
                "count": row["n"],
                "timestamp": rfc3339(start),
            }
        )
    return out


def top_links(q: Query, *, unique: bool | None = None) -> list[dict[str, Any]]:
    """[{url, count}], the most clicked first (at most TOP_LINKS)."""
    if unique is None:
        unique = unique_counts()
    rows = (
        _rows(LinkClick, q)
        .values("link__url")
        .annotate(n=_count(unique))
        .order_by("-n", "link__url")[:TOP_LINKS]
    )
    return [{"url": r["link__url"], "count": r["n"]} for r in rows]


def analytics(kind: str, q: Query) -> list[dict[str, Any]]:
    return top_links(q) if kind == "links" else daily(kind, q)


def totals(campaign_ids: list[int], *, bots: bool = False) -> dict[int, dict[str, int]]:
    """All-time views, clicks and bounces per campaign (not unique)."""
    out = {pk: {"views": 0, "clicks": 0, "bounces": 0} for pk in campaign_ids}
    for kind, model in (
        ("views", CampaignView),
        ("clicks", LinkClick),
        ("bounces", Bounce),
    ):
        rows = model.objects.filter(campaign_id__in=campaign_ids)
        if model is not Bounce and not bots:
            rows = rows.filter(is_bot=False)
        for pk, n in rows.order_by().values_list("campaign_id").annotate(n=Count("id")):
            out[pk][kind] = n
    return out
