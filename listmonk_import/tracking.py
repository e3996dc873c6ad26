"""Views, links and clicks: the writer step kept apart from the rest.

The tracking tables (campaigns' Link, CampaignView, LinkClick, the `tracking`
branch) are being added beside this importer. Until campaigns.models has them
the step reports MISSING and writes nothing; a later run brings them over.
Written against the tracking branch's models as of 2026-12-03: Link(uuid,
url unique, created_at auto_now_add); CampaignView(campaign, subscriber_id
integer, is_bot, created_at); LinkClick(campaign null, link, subscriber_id,
is_bot, created_at); Campaign.views/.clicks recounted by
campaigns.tracking.fold.recount.

Keys: links by uuid (kept: /link/{link_uuid}/... in old mail keeps working);
views and clicks, which have no uuid, by (campaign, subscriber, link, time).
listmonk flagged no bots: every imported view and click counts as a person's.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from campaigns.models import Campaign
from listmonk_import.report import Tally
from listmonk_import.writer import create_keeping_dates
from stmails import config
from subscribers.models import Subscriber

MISSING = "views/clicks: not imported (tracking tables missing)"


def tracking_models() -> tuple[Any, Any, Any] | None:
    try:
        from campaigns.models import CampaignView, Link, LinkClick
    except ImportError:
        return None
    return Link, CampaignView, LinkClick


def recount(campaign_ids: set[int]) -> None:
    """Campaign.views/.clicks from the rows, where stmails keeps such counters."""
    try:
        from campaigns.tracking.fold import recount as recount_campaigns
    except ImportError:
        return
    if campaign_ids:
        recount_campaigns(campaign_ids)


def _ids(model: Any, uuids: set[Any]) -> dict[Any, int]:
    uuids.discard(None)
    return dict(model.objects.filter(uuid__in=uuids).values_list("uuid", "id"))


def links(rows: list[dict], tally: Tally, link_model: Any) -> None:
    have = _ids(link_model, {r.get("uuid") for r in rows})
    urls = set(
        link_model.objects.filter(url__in={r.get("url") for r in rows}).values_list(
            "url", flat=True
        )
    )
    new = []
    for row in rows:
        if row.get("uuid") in have:
            tally.existing += 1
        elif not row.get("uuid") or not row.get("url"):
            tally.skip("link without uuid or url", str(row.get("id")))
        elif row["url"] in urls:
            # url is unique: stmails' own link for it keeps its uuid.
            tally.skip("url already tracked here under another uuid", row["url"])
        else:
            have[row["uuid"]] = 0
            urls.add(row["url"])
            new.append(
                {
                    "uuid": row["uuid"],
                    "url": row["url"],
                    "created_at": row.get("created_at"),
                }
            )
    with transaction.atomic():
        tally.added += len(create_keeping_dates(link_model, new))


def individual_tracking() -> bool:
    """stmails' privacy.individual_tracking: off, views and clicks come over
    without their subscriber, as stmails would have stored them."""
    try:
        return bool(config.get_value("privacy.individual_tracking"))
    except KeyError:  # no such key before the tracking tables
        return False


def events(
    rows: list[dict],
    tally: Tally,
    model: Any,
    touched: set[int],
    link_model: Any = None,
    individual: bool = False,
) -> None:
    """Views (link_model None) or clicks, keyed by (campaign, subscriber, link,
    created_at). A deleted subscriber's events stay, without subscriber, as in
    listmonk; so does a click whose campaign listmonk deleted. The campaigns
    written to are added to `touched` (recounted once, at the end)."""
    camps = _ids(Campaign, {r.get("campaign_uuid") for r in rows})
    subs = (
        _ids(Subscriber, {r.get("subscriber_uuid") for r in rows}) if individual else {}
    )
    lnks = _ids(link_model, {r.get("link_uuid") for r in rows}) if link_model else {}
    wanted = []
    for row in rows:
        campaign = camps.get(row.get("campaign_uuid"))
        if campaign is None and (link_model is None or row.get("campaign_uuid")):
            tally.skip("its campaign was not imported", str(row.get("campaign_uuid")))
            continue
        fields = {
            "campaign_id": campaign,
            "subscriber_id": subs.get(row.get("subscriber_uuid")),
            "created_at": row.get("created_at"),
        }
        if link_model is not None:
            fields["link_id"] = lnks.get(row.get("link_uuid"))
            if fields["link_id"] is None:
                tally.skip("its link was not imported", str(row.get("link_uuid")))
                continue
        wanted.append(fields)
    if not wanted:
        return
    keys = list(wanted[0])
    have = set(
        model.objects.filter(
            campaign_id__in={w["campaign_id"] for w in wanted} - {None},
            created_at__in={w["created_at"] for w in wanted},
        ).values_list(*keys)
    ) | set(
        model.objects.filter(
            campaign_id=None, created_at__in={w["created_at"] for w in wanted}
        ).values_list(*keys)
    )
    new = []
    for fields in wanted:
        key = tuple(fields[k] for k in keys)
        if key in have:
            tally.existing += 1
            continue
        have.add(key)
        new.append(model(**fields))
    with transaction.atomic():
        model.objects.bulk_create(new)
    touched.update({f.campaign_id for f in new} - {None})
    tally.added += len(new)
