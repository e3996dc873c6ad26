"""Views, links and clicks: the writer step kept apart from the rest.

The tracking tables (campaigns' Link, CampaignView, LinkClick) are being added
beside this importer. Until campaigns.models has them, the step reports
"views/clicks: not imported (tracking tables missing)" and writes nothing.
Once they are merged, check the field names below against the models
(assumed: Link.uuid/url/created_at; CampaignView.campaign/subscriber/created_at;
LinkClick.link/campaign/subscriber/created_at).

Keys: links by uuid (kept: /link/{link_uuid}/... in old mail keeps working);
views and clicks, which have no uuid, by (campaign, subscriber, link, time).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from campaigns.models import Campaign
from listmonk_import.report import Tally
from subscribers.models import Subscriber

MISSING = "views/clicks: not imported (tracking tables missing)"


def tracking_models() -> tuple[Any, Any, Any] | None:
    try:
        from campaigns.models import CampaignView, Link, LinkClick
    except ImportError:
        return None
    return Link, CampaignView, LinkClick


def _ids(model: Any, uuids: set[Any]) -> dict[Any, int]:
    uuids.discard(None)
    return dict(model.objects.filter(uuid__in=uuids).values_list("uuid", "id"))


def links(rows: list[dict], tally: Tally, link_model: Any) -> None:
    have = _ids(link_model, {r.get("uuid") for r in rows})
    new = []
    for row in rows:
        if row.get("uuid") in have:
            tally.existing += 1
        elif not row.get("uuid") or not row.get("url"):
            tally.skip("link without uuid or url", str(row.get("id")))
        else:
            have[row["uuid"]] = 0
            new.append(
                link_model(
                    uuid=row["uuid"], url=row["url"], created_at=row["created_at"]
                )
            )
    with transaction.atomic():
        link_model.objects.bulk_create(new)
    tally.added += len(new)


def events(rows: list[dict], tally: Tally, model: Any, link_model: Any = None) -> None:
    """Views (link_model None) or clicks: one row per listmonk row, keyed by
    (campaign, subscriber, link, created_at). A deleted subscriber's events
    stay, without subscriber, as in listmonk."""
    camps = _ids(Campaign, {r.get("campaign_uuid") for r in rows})
    subs = _ids(Subscriber, {r.get("subscriber_uuid") for r in rows})
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
    keys = list(wanted[0]) if wanted else []
    have = (
        set(
            model.objects.filter(created_at__in={w["created_at"] for w in wanted})
            .values_list(*keys)
            .distinct()
        )
        if wanted
        else set()
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
    tally.added += len(new)
