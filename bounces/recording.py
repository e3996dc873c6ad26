"""Record bounces: the one path every source takes, a single bounce being a batch of one.

POST /webhooks/bounce, mailbox scans, provider webhooks, custom providers and
SMTP-time rejections build `NewBounce`s and call `record_bounces`. In one
transaction per batch: the matcher (bounces.matching) finds every subscriber
in one query, locked in id order when an action can run; the bounces are one
INSERT ... ON CONFLICT (event_key) DO NOTHING; misses of every source become
UnmatchedBounce rows (Bounces -> Unmatched); the thresholds run once per
(subscriber, type) pair the batch touched (bounces.thresholds).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from bounces import hook_events, matching
from bounces.models import Bounce, BounceAction, BounceType, UnmatchedBounce
from bounces.parsing.reasons import reason_or_default
from bounces.services import BounceError, NewBounce, RecordResult, bounce_settings
from bounces.thresholds import apply_thresholds
from campaigns.models import Campaign
from stmails.lib.dates import json_default
from stmails.lib.raw_sql import db_value

log = logging.getLogger(__name__)

# Rows per INSERT and ids per IN (...): well under SQLite's 32,766 variables.
CHUNK = 500
# The NewBounce fields stored as they are: every one that is also a Bounce
# column (a new field on both, such as a reason, needs nothing here).
COPIED = tuple(
    f.name
    for f in dataclasses.fields(NewBounce)
    if f.name in {c.attname for c in Bounce._meta.concrete_fields}
    and f.name not in ("campaign_id", "meta", "created_at", "email", "event_key")
)
COLUMNS = (
    *COPIED,
    *("subscriber_id", "campaign_id", "meta", "created_at", "email", "event_key"),
    "recorded_at",
)


@dataclass
class _Item:
    index: int
    data: NewBounce
    match: matching.Match | None = None
    subscriber_id: int = 0  # kept: deleting the subscriber clears subscriber.id
    campaign: Campaign | None = None
    # Later items of the batch with the same event key: they share this outcome.
    duplicates: list[int] = field(default_factory=list)


def record_bounce(
    item: NewBounce, *, config: dict[str, Any] | None = None
) -> RecordResult:
    """`record_bounces` for one bounce; its error (400, 404, 503) is raised."""
    [result] = record_bounces([item], config=config)
    if result.error is not None:
        raise result.error
    return result


def record_bounces(
    items: list[NewBounce],
    *,
    config: dict[str, Any] | None = None,
    check_enabled: bool = True,
) -> list[RecordResult]:
    """Store a batch of bounces and apply thresholds, in one transaction.

    1. Refuse when bounce processing is off (BounceError 503, nothing stored).
    2. Validate each item: a bad one gets its error, the others go on.
    3. Skip event keys already stored, or seen earlier in the batch (one query).
    4. Match every item (bounces.matching: one subscriber query, FOR UPDATE in
       id order when a type of the batch acts). A miss gets error 404 and an
       UnmatchedBounce row (keyed like the bounce: a retry adds no second row).
    5. Find every campaign in one query; an unknown one is kept in meta.
    6. INSERT ... ON CONFLICT (event_key) DO NOTHING RETURNING: the returned
       rows are the ones really inserted (a concurrent writer's wins otherwise).
    7. bounce.recorded event webhooks, then thresholds once per (subscriber,
       type) pair that got a new bounce (trigger "bounce").
    """
    config = config or bounce_settings()
    if check_enabled and not config["bounce.enabled"]:
        raise BounceError("", "bounce processing is disabled", status=503)
    rules = config["bounce.actions"]
    results = [RecordResult() for _ in items]
    with transaction.atomic():
        pending = _validate(items, results)
        pending = _skip_known_keys(pending, results)
        lock = any(rules[i.data.type]["action"] != "none" for i in pending)
        pending = _attach_subscribers(pending, results, lock=lock)
        _attach_campaigns(pending)
        inserted = _insert(pending, results)
        hook_events.bounces_recorded([results[i.index].bounce_id for i in inserted])
        _apply_thresholds(inserted, rules, results)
    return results


def _validate(items: list[NewBounce], results: list[RecordResult]) -> list[_Item]:
    pending = []
    for index, data in enumerate(items):
        if data.type not in BounceType.values:
            results[index].error = BounceError(
                "type", "must be hard, soft or complaint"
            )
        elif (
            data.subscriber_uuid
            and data.origin != "mailbox"  # a header found in a returned message
            and matching.as_uuid(data.subscriber_uuid) is None
        ):
            results[index].error = BounceError("subscriber_uuid", "is not a valid UUID")
        else:
            pending.append(_Item(index, data))
    return pending


def _chunks(values: list[Any]) -> list[list[Any]]:
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)]


def _stored_keys(keys: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(keys):
        found.update(
            Bounce.objects.filter(event_key__in=chunk).values_list("event_key", "id")
        )
    return found


def _skip_known_keys(pending: list[_Item], results: list[RecordResult]) -> list[_Item]:
    """Items whose event key is stored already, or earlier in the batch, add nothing."""
    keys = sorted({i.data.event_key for i in pending if i.data.event_key})
    stored = _stored_keys(keys) if keys else {}
    first: dict[str, _Item] = {}
    out = []
    for item in pending:
        key = item.data.event_key
        if not key:
            out.append(item)
        elif key in stored:
            results[item.index].bounce_id = stored[key]
        elif key in first:
            first[key].duplicates.append(item.index)
        else:
            first[key] = item
            out.append(item)
    return out


def _attach_subscribers(
    pending: list[_Item], results: list[RecordResult], *, lock: bool
) -> list[_Item]:
    matches = matching.match_events([i.data for i in pending], lock=lock)
    out, missed = [], []
    for item, match in zip(pending, matches, strict=True):
        item.match = match
        if match.matched:
            item.subscriber_id = match.subscriber.id
            out.append(item)
            continue
        missed.append(item)
        data = item.data
        error = _miss_error(data, match)
        for index in (item.index, *item.duplicates):
            results[index].error = error
    if missed:
        store_unmatched([_unmatched(i.data, i.match) for i in missed])
    return out


def _miss_error(data: NewBounce, match: matching.Match) -> BounceError:
    """What the API answers for a miss: 400 for a bounce that names nobody, else 404."""
    if match.reason == UnmatchedBounce.Reason.NO_RECIPIENT:
        return BounceError("email", "either email or subscriber_uuid is required")
    return BounceError(
        "subscriber_uuid" if data.subscriber_uuid else "email",
        f"bounced subscriber {data.subscriber_uuid or data.email} not found",
        status=404,
    )


def _unmatched(data: NewBounce, match: matching.Match) -> UnmatchedBounce:
    return UnmatchedBounce(
        reason=match.reason,
        detail=match.detail,
        email=(match.email or data.email or "")[:320],
        type=data.type,
        status_code=(data.status_code or "")[:20],
        source=data.source[:200],
        origin=data.origin,
        mailbox_uuid=data.mailbox_uuid,
        mailbox_name=data.mailbox_name,
        raw_message_id=data.raw_message_id,
        payload=data.payload,
        event_key=data.event_key or None,
    )


def store_unmatched(rows: list[UnmatchedBounce]) -> None:
    """Unmatched entries of every source; one already stored under its key is kept."""
    UnmatchedBounce.objects.bulk_create(rows, batch_size=CHUNK, ignore_conflicts=True)


def _campaign_key(data: NewBounce, match: matching.Match) -> tuple[str, Any] | None:
    """("id", int) or ("uuid", UUID); None for none given or a malformed one."""
    try:
        if data.campaign_id:
            return ("id", int(data.campaign_id))
        if match.campaign_uuid:
            return ("uuid", uuidlib.UUID(str(match.campaign_uuid)))
    except ValueError:
        pass  # kept in meta as unknown_campaign
    return None


def _attach_campaigns(pending: list[_Item]) -> None:
    keys = {_campaign_key(item.data, item.match) for item in pending} - {None}
    if not keys:
        return
    ids = sorted(value for kind, value in keys if kind == "id")
    uuids = sorted((value for kind, value in keys if kind == "uuid"), key=str)
    wheres, params = [], []
    if ids:
        wheres.append(f"id IN ({', '.join(['%s'] * len(ids))})")
        params += ids
    if uuids:
        wheres.append(f"uuid IN ({', '.join(['%s'] * len(uuids))})")
        params += [db_value(Campaign, "uuid", u) for u in uuids]
    sql = f"SELECT id, uuid, name FROM campaigns WHERE {' OR '.join(wheres)}"  # noqa: S608 (placeholders only)
    found: dict[tuple[str, Any], Campaign] = {}
    for campaign in Campaign.objects.raw(sql, params):
        found[("id", campaign.id)] = campaign
        found[("uuid", uuidlib.UUID(str(campaign.uuid)))] = campaign
    for item in pending:
        item.campaign = found.get(_campaign_key(item.data, item.match))


_FIELDS = {f.column: f for f in Bounce._meta.concrete_fields}


def bounce_values(item: _Item, now: Any) -> dict[str, Any]:
    """The Bounce row of a matched item, by column."""
    data, subscriber = item.data, item.match.subscriber
    meta = dict(data.meta or {})
    unknown = data.campaign_id or item.match.campaign_uuid
    if item.campaign is None and unknown:
        meta.setdefault("unknown_campaign", unknown)
    if data.mailbox_uuid:  # a mailbox's meta is ours; a provider's or the API's is not
        meta["matched_by"] = item.match.via
    return {
        **{name: getattr(data, name) for name in COPIED},
        "subscriber_id": subscriber.id,
        "campaign_id": item.campaign.id if item.campaign else None,
        "meta": meta,
        "created_at": data.created_at or now,
        "email": (data.email or item.match.email or subscriber.email).strip(),
        "event_key": data.event_key or None,
        "reason": reason_or_default(data.reason, data.type),
        "recorded_at": now,
    }


def _row(item: _Item, now: Any) -> list[Any]:
    values = bounce_values(item, now)
    return [_FIELDS[c].get_db_prep_save(values[c], connection) for c in COLUMNS]


INSERT_TAIL = " ON CONFLICT (event_key) DO NOTHING RETURNING id, event_key"


def _insert_sql(items: list[_Item], now: Any) -> tuple[str, list[Any]]:
    table, columns = Bounce._meta.db_table, ", ".join(COLUMNS)
    if connection.vendor == "postgresql":
        # The rows as one JSON parameter: psycopg re-parses a statement of over
        # 4 KB at every call, and 1,200 placeholders cost more than the insert.
        rows = [bounce_values(item, now) for item in items]
        sql = (
            f"INSERT INTO {table} ({columns}) SELECT {columns}"  # noqa: S608 (no input in the SQL)
            f" FROM json_populate_recordset(NULL::{table}, %s::json)"
        )
        return sql + INSERT_TAIL, [json.dumps(rows, default=json_default)]
    placeholders = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    sql = f"INSERT INTO {table} ({columns}) VALUES " + ", ".join(  # noqa: S608 (placeholders only)
        [placeholders] * len(items)
    )
    return sql + INSERT_TAIL, [v for item in items for v in _row(item, now)]


def _insert(pending: list[_Item], results: list[RecordResult]) -> list[_Item]:
    """Insert the batch's bounces; returns the items really inserted (bounce ids set).

    Rows go in subscriber id order: a bounce's foreign key takes a share lock on
    its subscriber, and locks taken in one order cannot deadlock with a batch
    that locked its subscribers FOR UPDATE in that order.
    """
    if not pending:
        return []
    pending = sorted(pending, key=lambda i: (i.subscriber_id, i.index))
    now = timezone.now()
    keyed = [i for i in pending if i.data.event_key]
    unkeyed = [i for i in pending if not i.data.event_key]
    inserted: list[_Item] = []
    with connection.cursor() as cursor:
        for chunk in _chunks(keyed):
            cursor.execute(*_insert_sql(chunk, now))
            ids = dict((key, pk) for pk, key in cursor.fetchall())
            lost = []
            for item in chunk:
                if item.data.event_key in ids:
                    _set(results, item, ids[item.data.event_key], created=True)
                    inserted.append(item)
                else:
                    lost.append(item)
            # Stored by a concurrent writer after our look-up: theirs is the bounce.
            if lost:
                stored = _stored_keys([i.data.event_key for i in lost])
                for item in lost:
                    _set(results, item, stored.get(item.data.event_key), created=False)
    if unkeyed:
        # No key, no conflict possible: bulk_create returns the ids in order.
        objs = Bounce.objects.bulk_create(
            [Bounce(**bounce_values(item, now)) for item in unkeyed]
        )
        for item, obj in zip(unkeyed, objs, strict=True):
            _set(results, item, obj.id, created=True)
            inserted.append(item)
    return inserted


def _set(
    results: list[RecordResult], item: _Item, bounce_id: int | None, *, created: bool
) -> None:
    for index in (item.index, *item.duplicates):
        results[index].bounce_id = bounce_id
        results[index].via = item.match.via
    results[item.index].created = created


def _apply_thresholds(
    inserted: list[_Item], rules: dict[str, Any], results: list[RecordResult]
) -> None:
    """Thresholds once per (subscriber, type) pair with a new bounce.

    Counting after the whole batch is stored gives the state one bounce at a
    time reaches after its last one: one action when the threshold is crossed,
    none when it was acted on already. A trace goes to the item of the pair's
    newest bounce.
    """
    newest: dict[tuple[int, str], _Item] = {}
    for item in inserted:
        pair = (item.subscriber_id, item.data.type)
        known = newest.get(pair)
        if known is None or _bounce_id(results, item) > _bounce_id(results, known):
            newest[pair] = item
    traces = apply_thresholds(
        [(item.match.subscriber, btype) for (_, btype), item in sorted(newest.items())],
        rules,
        trigger="bounce",
    )
    deleted = set()
    for pair, trace in traces.items():
        results[newest[pair].index].actions.append(trace)
        if trace.action == BounceAction.Action.DELETE:
            deleted.add(pair[0])
    if deleted:
        # Their bounces went with them (the trace keeps the count): nothing to point at.
        for item in inserted:
            if item.subscriber_id in deleted:
                for index in (item.index, *item.duplicates):
                    results[index].bounce_id = None
    for item in inserted:
        log.debug(
            "bounce recorded: id=%s type=%s source=%s matched_by=%s subscriber=%s"
            " campaign=%s",
            results[item.index].bounce_id,
            item.data.type,
            item.data.source,
            item.match.via,
            item.subscriber_id,
            item.campaign.id if item.campaign else None,
        )


def _bounce_id(results: list[RecordResult], item: _Item) -> int:
    return results[item.index].bounce_id or 0
