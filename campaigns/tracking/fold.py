"""Fold raw tracking hits into campaign_views and link_clicks (count later).

One batch is one transaction: the hits are read (locked, skipping rows
another fold holds), turned into view and click rows with their bot flags,
deleted, and the touched campaigns' counters recounted from the rows. A hit
is therefore folded exactly once, and running the fold again, or two folds
at once, changes nothing: the counters are recounted, never incremented.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from campaigns.models import Campaign, Delivery
from campaigns.tracking import bots
from campaigns.tracking.models import CampaignView, Link, LinkClick, TrackingHit
from subscribers.models import Subscriber

BATCH = 5000


@dataclass
class FoldResult:
    hits: int = 0
    views: int = 0
    clicks: int = 0
    flagged: int = 0
    dropped: int = 0  # views of an unknown campaign: nothing to count them on
    campaign_ids: set[int] = field(default_factory=set)

    def as_dict(self) -> dict:
        return {
            "hits": self.hits, "views": self.views, "clicks": self.clicks,
            "flagged": self.flagged, "dropped": self.dropped,
            "campaigns": sorted(self.campaign_ids),
        }  # fmt: skip


def _sent_at(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], datetime]:
    if not pairs:
        return {}
    rows = Delivery.objects.filter(
        campaign_id__in={c for c, _ in pairs},
        subscriber_id__in={s for _, s in pairs},
        sent_at__isnull=False,
    ).values_list("campaign_id", "subscriber_id", "sent_at")
    return {(c, s): at for c, s, at in rows if (c, s) in pairs}


def fold_batch(limit: int = BATCH) -> FoldResult:
    """Fold up to `limit` of the oldest hits; see the module docstring."""
    result = FoldResult()
    with transaction.atomic():
        hits = list(
            TrackingHit.objects.select_for_update(skip_locked=True).order_by("id")[
                :limit
            ]
        )
        if not hits:
            return result
        result.hits = len(hits)
        campaigns = dict(
            Campaign.objects.filter(
                uuid__in={h.campaign_uuid for h in hits}
            ).values_list("uuid", "id")
        )
        subscribers = dict(
            Subscriber.objects.filter(
                uuid__in={h.subscriber_uuid for h in hits if h.subscriber_uuid}
            ).values_list("uuid", "id")
        )
        links = set(
            Link.objects.filter(
                id__in={h.link_id for h in hits if h.link_id}
            ).values_list("id", flat=True)
        )
        known = [
            (h, campaigns.get(h.campaign_uuid), subscribers.get(h.subscriber_uuid))
            for h in hits
        ]
        sent = _sent_at({(c, s) for h, c, s in known if h.kind == "click" and c and s})
        views, clicks = [], []
        bursts: dict[tuple[int | None, int], list[int]] = defaultdict(list)
        for h, campaign_id, subscriber_id in known:
            keep_id = subscriber_id if h.individual else None
            if h.kind == "view":
                if campaign_id is None:
                    result.dropped += 1
                    continue
                reason = bots.view_reason(h.user_agent, h.ip_net)
                views.append(
                    CampaignView(
                        campaign_id=campaign_id, subscriber_id=keep_id,
                        is_bot=bool(reason), bot_reason=reason,
                        created_at=h.created_at,
                    )
                )  # fmt: skip
                continue
            if h.link_id not in links:
                result.dropped += 1
                continue
            reason = bots.click_reason(
                h.user_agent, h.created_at, sent.get((campaign_id, subscriber_id))
            )
            if subscriber_id is not None:
                bursts[(campaign_id, subscriber_id)].append(len(clicks))
            clicks.append(
                LinkClick(
                    campaign_id=campaign_id, link_id=h.link_id,
                    subscriber_id=keep_id, is_bot=bool(reason),
                    bot_reason=reason, created_at=h.created_at,
                )
            )  # fmt: skip
        for indexes in bursts.values():
            rows = [(clicks[i].link_id, clicks[i].created_at) for i in indexes]
            for j in bots.every_link_bursts(rows):
                click = clicks[indexes[j]]
                if not click.is_bot:
                    click.is_bot, click.bot_reason = True, "every_link"
        CampaignView.objects.bulk_create(views, batch_size=1000)
        LinkClick.objects.bulk_create(clicks, batch_size=1000)
        TrackingHit.objects.filter(id__in=[h.id for h in hits]).delete()
        result.views, result.clicks = len(views), len(clicks)
        result.flagged = sum(r.is_bot for r in views) + sum(r.is_bot for r in clicks)
        result.campaign_ids = {r.campaign_id for r in views} | {
            r.campaign_id for r in clicks if r.campaign_id
        }
        recount(result.campaign_ids)
    return result


def _people(model) -> Subquery:
    rows = (
        model.objects.filter(campaign_id=OuterRef("pk"), is_bot=False)
        .order_by()
        .values("campaign_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def recount(campaign_ids: set[int]) -> None:
    """Campaign.views and .clicks from the rows (people only)."""
    if campaign_ids:
        Campaign.objects.filter(pk__in=campaign_ids).update(
            views=_people(CampaignView), clicks=_people(LinkClick)
        )


def fold_hits(*, limit: int = BATCH, max_batches: int = 20) -> FoldResult:
    """Fold batches until no hit is left (or max_batches ran: the next beat
    continues)."""
    total = FoldResult()
    for _ in range(max_batches):
        batch = fold_batch(limit)
        for name in ("hits", "views", "clicks", "flagged", "dropped"):
            setattr(total, name, getattr(total, name) + getattr(batch, name))
        total.campaign_ids |= batch.campaign_ids
        if batch.hits < limit:
            break
    return total
