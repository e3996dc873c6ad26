"""Writing mapped listmonk rows into stmails: one transaction per batch.

Every row is keyed so that a second import adds nothing: subscribers, lists
and campaigns by their uuid (kept, so links in mail already sent still work),
memberships by (subscriber, list), templates by (name, type, body), bounces by
an event_key made from the subscriber's uuid and listmonk's bounce id.
Batches look rows up in stmails by uuid, so no id map is held in memory and a
run that stopped half way picks up where it was.

Rows are written as they were: no service that would send a confirmation, run
bounce thresholds or fire event webhooks is called, and the timestamps are
listmonk's (bulk_update after bulk_create, which would stamp auto_now fields).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from bounces.models import Bounce
from campaigns.models import Campaign, CampaignList, Template
from listmonk_import import mapping
from listmonk_import.mapping import Skip
from listmonk_import.report import Tally
from subscribers.models import MailingList, Subscriber, Subscription

DATES = ("created_at", "updated_at")


def _field_names(model: type[models.Model]) -> set[str]:
    concrete = [f for f in model._meta.get_fields() if getattr(f, "concrete", False)]
    return {f.name for f in concrete} | {f.attname for f in concrete}


def _keep_known(model: type[models.Model], fields: dict, tally: Tally) -> dict:
    """The fields the model has; the others are noted (listmonk has more)."""
    known = _field_names(model)
    for name in sorted(fields.keys() - known):
        tally.note(
            f"{name} not kept (stmails has no such field)", fields.get("name", "")
        )
    return {k: v for k, v in fields.items() if k in known}


def create_keeping_dates(
    model: type[models.Model], rows: list[dict]
) -> list[models.Model]:
    """Insert rows keeping their created_at/updated_at (auto_now would restamp them)."""
    if not rows:
        return []
    objs = model.objects.bulk_create([model(**row) for row in rows])
    kept = [f for f in DATES if f in _field_names(model)]
    for obj, row in zip(objs, rows, strict=True):
        for f in kept:
            if row.get(f) is not None:
                setattr(obj, f, row[f])
    if kept and any(row.get(f) is not None for row in rows for f in kept):
        model.objects.bulk_update(objs, kept)
    return objs


def _who(row: dict) -> str:
    return str(row.get("subscriber_email") or row.get("subscriber_uuid"))


def _ids_by_uuid(model: type[models.Model], uuids: set[Any]) -> dict[Any, int]:
    uuids.discard(None)
    if not uuids:
        return {}
    return dict(model.objects.filter(uuid__in=uuids).values_list("uuid", "id"))


def _not_yet_here(
    rows: list[dict], mapped: Callable[[dict], Any], have: dict[Any, int], tally: Tally
) -> Iterator[dict]:
    """The mapped fields of each row stmails lacks (by uuid); skips and rows
    already here are counted, the mapping's notes recorded by name."""
    for row in rows:
        m = mapped(row)
        if isinstance(m, Skip):
            tally.skip(m.reason, m.detail)
            continue
        fields, notes = m
        if fields["uuid"] in have:
            tally.existing += 1
            continue
        for note in notes:
            tally.note(note, fields["name"])
        yield fields


def subscribers(rows: list[dict], tally: Tally) -> None:
    mapped = []
    for row in rows:
        m = mapping.subscriber(row)
        if isinstance(m, Skip):
            tally.skip(m.reason, m.detail)
        else:
            mapped.append(m)
    have = _ids_by_uuid(Subscriber, {m["uuid"] for m in mapped})
    taken = dict(
        Subscriber.objects.annotate(lower=Lower("email"))
        .filter(lower__in={m["email"].lower() for m in mapped})
        .values_list("lower", "email")
    )
    new = []
    for m in mapped:
        if m["uuid"] in have:
            tally.existing += 1
            continue
        key = m["email"].lower()
        if key in taken:
            if taken[key] == m["email"]:
                tally.skip("address already in stmails under another uuid", key)
            else:
                tally.skip(
                    "duplicate address differing only in case",
                    f"{m['email']} (kept {taken[key]})",
                )
            continue
        taken[key] = m["email"]
        new.append(m)
    with transaction.atomic():
        tally.added += len(create_keeping_dates(Subscriber, new))


def lists(rows: list[dict], tally: Tally) -> None:
    have = _ids_by_uuid(MailingList, {r.get("uuid") for r in rows})
    new = [
        _keep_known(MailingList, fields, tally)
        for fields in _not_yet_here(rows, mapping.mailing_list, have, tally)
    ]
    with transaction.atomic():
        tally.added += len(create_keeping_dates(MailingList, new))


def subscriptions(rows: list[dict], tally: Tally) -> None:
    subs = _ids_by_uuid(Subscriber, {r.get("subscriber_uuid") for r in rows})
    lsts = _ids_by_uuid(MailingList, {r.get("list_uuid") for r in rows})
    pairs = set(
        Subscription.objects.filter(
            subscriber_id__in=subs.values(), list_id__in=lsts.values()
        ).values_list("subscriber_id", "list_id")
    )
    new = []
    for row in rows:
        sub = subs.get(row.get("subscriber_uuid"))
        lst = lsts.get(row.get("list_uuid"))
        if sub is None:
            tally.skip("its subscriber was not imported", _who(row))
            continue
        if lst is None:
            tally.skip("its list was not imported", str(row.get("list_uuid")))
            continue
        if (sub, lst) in pairs:
            tally.existing += 1
            continue
        m = mapping.subscription(row)
        if isinstance(m, Skip):
            tally.skip(m.reason, m.detail)
            continue
        pairs.add((sub, lst))
        new.append({"subscriber_id": sub, "list_id": lst, **m})
    with transaction.atomic():
        tally.added += len(create_keeping_dates(Subscription, new))


def templates(rows: list[dict], tally: Tally) -> dict[int, int]:
    """listmonk template id -> stmails template id, for the campaigns.

    Keyed by (name, type, body): the same template found again is reused. A
    stmails template with the same name but another body is left alone and the
    listmonk one comes over as "<name> (from listmonk)". listmonk's default
    becomes stmails' default only when stmails has none.
    """
    ids: dict[int, int] = {}
    has_default = Template.objects.filter(is_default=True).exists()
    for row in rows:
        m = mapping.template(row)
        if isinstance(m, Skip):
            tally.skip(m.reason, m.detail)
            continue
        found = None
        for name in (m["name"], f"{m['name']} (from listmonk)"):
            same = Template.objects.filter(name=name, type=m["type"]).first()
            if same is None:
                m["name"] = name
                break
            if same.body == m["body"]:
                found = same
                break
        else:
            tally.skip("two stmails templates already use its name", m["name"])
            continue
        if found is not None:
            tally.existing += 1
            ids[row["id"]] = found.id
            continue
        if m["is_default"] and has_default:
            tally.note("listmonk's default template is not stmails' default", m["name"])
            m["is_default"] = False
        has_default = has_default or m["is_default"]
        with transaction.atomic():
            (obj,) = create_keeping_dates(Template, [m])
        tally.added += 1
        ids[row["id"]] = obj.id
    return ids


def campaigns(
    rows: list[dict],
    tally: Tally,
    *,
    template_ids: dict[int, int],
    campaign_lists: dict[Any, list[dict]],
) -> None:
    """Campaigns and their target lists (a deleted list keeps its list_name)."""
    have = _ids_by_uuid(Campaign, {r.get("uuid") for r in rows})
    optin_supported = "optin" in Campaign.Type.values
    new, targets = [], []

    def mapped(row: dict) -> Any:
        return mapping.campaign(row, optin_supported=optin_supported)

    for fields in _not_yet_here(rows, mapped, have, tally):
        lm_template = fields.pop("template_id")
        fields["template_id"] = template_ids.get(lm_template)
        if lm_template is not None and fields["template_id"] is None:
            tally.note("template not imported: campaign has none", fields["name"])
        if "archive_template_id" in fields:
            fields["archive_template_id"] = template_ids.get(
                fields["archive_template_id"]
            )
        new.append(_keep_known(Campaign, fields, tally))
        targets.append(campaign_lists.get(fields["uuid"], []))
    list_ids = _ids_by_uuid(
        MailingList, {t.get("list_uuid") for group in targets for t in group}
    )
    with transaction.atomic():
        objs = create_keeping_dates(Campaign, new)
        CampaignList.objects.bulk_create(
            CampaignList(
                campaign=obj,
                list_id=list_ids.get(t.get("list_uuid")),
                list_name=(t.get("list_name") or "")[:500],
            )
            for obj, group in zip(objs, targets, strict=True)
            for t in group
        )
    tally.added += len(objs)


def bounces(rows: list[dict], tally: Tally) -> None:
    subs = dict(
        Subscriber.objects.filter(
            uuid__in={r.get("subscriber_uuid") for r in rows} - {None}
        ).values_list("uuid", "id")
    )
    emails = dict(
        Subscriber.objects.filter(id__in=subs.values()).values_list("id", "email")
    )
    camps = _ids_by_uuid(Campaign, {r.get("campaign_uuid") for r in rows})
    keys = {mapping.bounce_key(r.get("subscriber_uuid"), r.get("id")) for r in rows}
    have = set(
        Bounce.objects.filter(event_key__in=keys).values_list("event_key", flat=True)
    )
    new = []
    for row in rows:
        key = mapping.bounce_key(row.get("subscriber_uuid"), row.get("id"))
        if key in have:
            tally.existing += 1
            continue
        sub = subs.get(row.get("subscriber_uuid"))
        if sub is None:
            tally.skip("its subscriber was not imported", _who(row))
            continue
        m = mapping.bounce(row)
        if isinstance(m, Skip):
            tally.skip(m.reason, m.detail)
            continue
        have.add(key)
        m["created_at"] = m["created_at"] or timezone.now()  # NOT NULL in listmonk
        new.append(
            Bounce(
                subscriber_id=sub,
                campaign_id=camps.get(row.get("campaign_uuid")),
                email=emails[sub],
                event_key=key,
                # recorded when listmonk recorded it: "bounces today" on the
                # dashboard and the alert rules must not see a burst of old ones.
                recorded_at=m["created_at"],
                **m,
            )
        )
    with transaction.atomic():
        Bounce.objects.bulk_create(new)
    tally.added += len(new)
