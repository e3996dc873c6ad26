"""listmonk's analytics maintenance: delete views and/or clicks recorded
before a date, then recount the campaigns' view and click counters.

One transaction; rows are deleted in bounded batches of ids. Unfolded raw
hits (tracking_hits) before the date go too: folding them later would bring
the deleted views and clicks back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet

from campaigns.tracking.fold import recount
from campaigns.tracking.models import CampaignView, LinkClick, TrackingHit

BATCH = 5000
KINDS = ("all", "views", "clicks")


@dataclass
class AnalyticsGC:
    views: int = 0
    clicks: int = 0
    hits: int = 0


def _delete_batched(qs: QuerySet, batch: int, touched: set[int] | None = None) -> int:
    """Delete qs's rows a batch at a time; touched collects their campaigns."""
    total = 0
    fields = ("id", "campaign_id") if touched is not None else ("id",)
    while rows := list(qs.order_by("id").values_list(*fields)[:batch]):
        if touched is not None:
            touched.update(r[1] for r in rows if r[1] is not None)
        qs.model.objects.filter(id__in=[r[0] for r in rows]).delete()
        total += len(rows)
    return total


@transaction.atomic
def delete_analytics(kind: str, before: datetime, *, batch: int = BATCH) -> AnalyticsGC:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    out = AnalyticsGC()
    touched: set[int] = set()
    hit_kinds = []
    if kind in ("all", "views"):
        views = CampaignView.objects.filter(created_at__lt=before)
        out.views = _delete_batched(views, batch, touched)
        hit_kinds.append(TrackingHit.Kind.VIEW)
    if kind in ("all", "clicks"):
        clicks = LinkClick.objects.filter(created_at__lt=before)
        out.clicks = _delete_batched(clicks, batch, touched)
        hit_kinds.append(TrackingHit.Kind.CLICK)
    hits = TrackingHit.objects.filter(created_at__lt=before, kind__in=hit_kinds)
    out.hits = _delete_batched(hits, batch)
    recount(touched)
    return out
