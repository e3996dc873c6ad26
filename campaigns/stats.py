"""Read-only campaign figures for the API and the campaign page."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from stmails.lib.dates import rfc3339

BOUNCE_TYPES = ("hard", "soft", "complaint")
Counts = dict[int, dict[str, int]]


def bounce_counts(campaign_ids: Iterable[int]) -> Counts:
    """Bounces per campaign and type, in one aggregate query.

    Raw SQL on the `bounces` table by name: the bounces app sits above campaigns
    in the import order (bounces imports campaigns), so campaigns must not
    import bounces.models.
    """
    ids = [int(i) for i in campaign_ids]
    counts: Counts = {pk: dict.fromkeys(BOUNCE_TYPES, 0) for pk in ids}
    if not ids:
        return counts
    marks = ", ".join(["%s"] * len(ids))
    # Only "%s" placeholders are interpolated; the ids travel as parameters.
    sql = (
        "SELECT campaign_id, type, COUNT(*) FROM bounces "  # noqa: S608
        f"WHERE campaign_id IN ({marks}) GROUP BY campaign_id, type"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        for campaign_id, kind, n in cursor.fetchall():
            if kind in BOUNCE_TYPES:
                counts[campaign_id][kind] = n
    return counts


def delivery_progress(campaign: Any, now: datetime | None = None) -> dict[str, Any]:
    """Where a campaign's sending stands, counted from its delivery rows.

    Not from Campaign.sent, which each sending slot adds to only when its run
    ends (a page reading it shows 0 for minutes, then jumps).
    """
    from campaigns.models import Delivery

    by_status = dict(
        Delivery.objects.filter(campaign_id=campaign.pk)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    sent = by_status.get(Delivery.Status.SENT, 0)
    failed = by_status.get(Delivery.Status.FAILED, 0)
    skipped = by_status.get(Delivery.Status.SKIPPED, 0)
    waiting = by_status.get(Delivery.Status.QUEUED, 0) + by_status.get(
        Delivery.Status.SENDING, 0
    )
    to_send = max(campaign.to_send, sent + failed + skipped + waiting)
    done = sent + failed + skipped
    rate = 0.0
    if campaign.started_at and sent:
        end = campaign.finished_at or now or timezone.now()
        seconds = (end - campaign.started_at).total_seconds()
        rate = round(sent / seconds, 1) if seconds > 0 else 0.0
    return {
        "status": campaign.status,
        "sent": sent,
        "failed": failed,
        "skipped": skipped,
        "waiting": waiting,
        "to_send": to_send,
        "percent": min(100, round(100 * done / to_send)) if to_send else 0,
        "rate": rate,
        "running": campaign.status == "running",
    }


def running_stats(now: datetime | None = None) -> list[dict[str, Any]]:
    """listmonk's GET /api/campaigns/running/stats: per running campaign,
    sent counted from its delivery rows; net_rate is messages a minute since
    it started and rate those of the last minute (listmonk's live rate)."""
    from campaigns.models import Campaign, Delivery

    now = now or timezone.now()
    campaigns = list(Campaign.objects.filter(status="running").order_by("id"))
    ids = [c.pk for c in campaigns]
    sent_rows = Delivery.objects.filter(campaign_id__in=ids, status="sent")
    sent = dict(sent_rows.values_list("campaign_id").annotate(n=Count("id")).order_by())
    recent = dict(
        sent_rows.filter(sent_at__gt=now - timedelta(minutes=1))
        .values_list("campaign_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    out = []
    for c in campaigns:
        done = sent.get(c.pk, 0)
        minutes = 1
        if c.started_at:
            minutes = max(1, int((now - c.started_at).total_seconds() // 60))
        out.append(
            {
                "id": c.pk,
                "status": c.status,
                "to_send": max(c.to_send, done),
                "sent": done,
                "started_at": rfc3339(c.started_at),
                "updated_at": rfc3339(c.updated_at),
                "rate": recent.get(c.pk, 0),
                "net_rate": min(done // minutes, done),
            }
        )
    return out
