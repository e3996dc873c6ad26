"""Record many bounces in one transaction: a provider's batch in a handful of queries.

record_bounce costs a dozen queries per bounce (lookups, savepoint, insert,
count); a SendGrid batch of 100 events paid that a hundred times. Here every
lookup is one query for the whole batch, the bounces are one INSERT, and the
thresholds are applied once per (subscriber, type) pair the batch touched
(bounces/bulk_thresholds.py: counted in one query, the common actions in bulk,
the rest through record_bounce's own apply_threshold).

Same guarantees as record_bounce: idempotent by event_key (also within the
batch), every bounce stored (past thresholds, for blocklisted subscribers),
thresholds and actions in the same transaction as the bounces.
"""

from __future__ import annotations

import json
import logging
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from bounces import hook_events
from bounces.bulk_thresholds import apply_thresholds
from bounces.models import Bounce, BounceAction, BounceType
from bounces.parsing.reasons import reason_or_default
from bounces.services import BounceError, NewBounce, bounce_settings
from campaigns.models import Campaign
from subscribers.models import Subscriber

log = logging.getLogger(__name__)

# Rows per INSERT and ids per IN (...): well under SQLite's 32,766 variables.
CHUNK = 500
COLUMNS = (
    "subscriber_id",
    "campaign_id",
    "type",
    "source",
    "meta",
    "created_at",
    "email",
    "event_key",
    "provider_message_id",
    "status_code",
    "reason",
    "recorded_at",
    "raw_message_id",
)


@dataclass
class BulkResult:
    """One item's outcome, in the order of the items given.

    bounce_id: the bounce stored for it (or already stored under its event key);
    None with an error, or when a delete action removed it with its subscriber.
    """

    bounce_id: int | None = None
    created: bool = False
    error: BounceError | None = None
    actions: list[BounceAction] = field(default_factory=list)


@dataclass
class _Item:
    index: int
    data: NewBounce
    key: Any = None  # ("uuid", UUID) or ("email", lowercased address)
    subscriber: Subscriber | None = None
    subscriber_id: int = 0  # kept: deleting the subscriber clears subscriber.id
    campaign: Campaign | None = None
    # Later items of the batch with the same event key: they share this outcome.
    duplicates: list[int] = field(default_factory=list)


def record_bounces(
    items: list[NewBounce], *, config: dict[str, Any] | None = None
) -> list[BulkResult]:
    """Store a batch of bounces and apply thresholds, in one transaction.

    1. Refuse when bounce processing is off (BounceError 503, nothing stored).
    2. Validate each item: a bad one gets its error, the others go on.
    3. Skip event keys already stored, or seen earlier in the batch (one query).
    4. Find every subscriber in one query (uuid wins, else lower(email)); when a
       type of the batch acts, lock them FOR UPDATE in id order, so concurrent
       batches never wait on each other in a cycle. Unknown: error 404 per item.
    5. Find every campaign in one query; an unknown one is kept in meta.
    6. INSERT ... ON CONFLICT (event_key) DO NOTHING RETURNING: the returned
       rows are the ones really inserted (a concurrent writer's wins otherwise).
    7. Thresholds once per (subscriber, type) pair that got a new bounce
       (trigger "bounce"), in this transaction.

    Meant for a provider's batch (hundreds of items): the subscriber look-up is
    one statement, within PostgreSQL's 65,535 parameters.
    """
    config = config or bounce_settings()
    if not config["bounce.enabled"]:
        raise BounceError("", "bounce processing is disabled", status=503)
    rules = config["bounce.actions"]
    results = [BulkResult() for _ in items]
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


def _validate(items: list[NewBounce], results: list[BulkResult]) -> list[_Item]:
    pending = []
    for index, data in enumerate(items):
        item = _Item(index, data)
        if data.type not in BounceType.values:
            results[index].error = BounceError(
                "type", "must be hard, soft or complaint"
            )
        elif data.subscriber_uuid:
            try:
                item.key = ("uuid", uuidlib.UUID(str(data.subscriber_uuid)))
            except ValueError:
                results[index].error = BounceError(
                    "subscriber_uuid", "is not a valid UUID"
                )
        elif data.email:
            item.key = ("email", data.email.strip().lower())
        else:
            results[index].error = BounceError(
                "email", "either email or subscriber_uuid is required"
            )
        if results[index].error is None:
            pending.append(item)
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


def _skip_known_keys(pending: list[_Item], results: list[BulkResult]) -> list[_Item]:
    """Items whose event key is stored already, or earlier in the batch, add nothing."""
    stored = _stored_keys(
        sorted({i.data.event_key for i in pending if i.data.event_key})
    )
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


def _db_uuid(model: type, value: uuidlib.UUID) -> Any:
    # uuid columns are native on PostgreSQL and 32 hex characters on SQLite.
    return model._meta.get_field("uuid").get_db_prep_value(value, connection)


def _attach_subscribers(
    pending: list[_Item], results: list[BulkResult], *, lock: bool
) -> list[_Item]:
    uuids = sorted({i.key[1] for i in pending if i.key[0] == "uuid"}, key=str)
    emails = sorted({i.key[1] for i in pending if i.key[0] == "email"})
    by_uuid: dict[uuidlib.UUID, Subscriber] = {}
    by_email: dict[str, Subscriber] = {}
    for subscriber in _find_subscribers(uuids, emails, lock=lock):
        by_uuid[uuidlib.UUID(str(subscriber.uuid))] = subscriber
        by_email[subscriber.email.lower()] = subscriber
    out = []
    for item in pending:
        kind, value = item.key
        item.subscriber = (by_uuid if kind == "uuid" else by_email).get(value)
        if item.subscriber is not None:
            item.subscriber_id = item.subscriber.id
            out.append(item)
            log.info(
                "bounce matched by %s: source=%s subscriber=%s type=%s",
                "subscriber uuid" if kind == "uuid" else "recipient email",
                item.data.source,
                item.subscriber_id,
                item.data.type,
            )
        else:
            log.info(
                "bounce unmatched: source=%s no subscriber with %s %s",
                item.data.source,
                "uuid" if kind == "uuid" else "email",
                value,
            )
            results[item.index].error = BounceError(
                "subscriber_uuid" if kind == "uuid" else "email",
                f"bounced subscriber {item.data.subscriber_uuid or item.data.email}"
                " not found",
                status=404,
            )
            for index in item.duplicates:
                results[index].error = results[item.index].error
    return out


def _find_subscribers(
    uuids: list[uuidlib.UUID], emails: list[str], *, lock: bool
) -> list[Subscriber]:
    """One query (per CHUNK) for the batch; only the columns the actions use.

    Raw SQL as bounces.services.find_subscriber: lower(email) uses its unique index.
    """
    if not uuids and not emails:
        return []
    wheres, params = [], []
    if uuids:
        wheres.append(f"uuid IN ({', '.join(['%s'] * len(uuids))})")
        params += [_db_uuid(Subscriber, u) for u in uuids]
    if emails:
        wheres.append(f"LOWER(email) IN ({', '.join(['%s'] * len(emails))})")
        params += emails
    lock_sql = (
        " FOR UPDATE" if lock and connection.features.has_select_for_update else ""
    )
    sql = (
        "SELECT id, uuid, email, status FROM subscribers"  # noqa: S608 (placeholders only)
        f" WHERE {' OR '.join(wheres)} ORDER BY id{lock_sql}"
    )
    # One query even for a large batch: chunks would lock out of id order.
    return list(Subscriber.objects.raw(sql, params))


def _campaign_key(data: NewBounce) -> tuple[str, Any] | None:
    """("id", int) or ("uuid", UUID); None for none given or a malformed one."""
    try:
        if data.campaign_id:
            return ("id", int(data.campaign_id))
        if data.campaign_uuid:
            return ("uuid", uuidlib.UUID(str(data.campaign_uuid)))
    except ValueError:
        pass  # kept in meta as unknown_campaign
    return None


def _attach_campaigns(pending: list[_Item]) -> None:
    keys = {_campaign_key(item.data) for item in pending} - {None}
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
        params += [_db_uuid(Campaign, u) for u in uuids]
    sql = f"SELECT id, uuid, name FROM campaigns WHERE {' OR '.join(wheres)}"  # noqa: S608 (placeholders only)
    found: dict[tuple[str, Any], Campaign] = {}
    for campaign in Campaign.objects.raw(sql, params):
        found[("id", campaign.id)] = campaign
        found[("uuid", uuidlib.UUID(str(campaign.uuid)))] = campaign
    for item in pending:
        item.campaign = found.get(_campaign_key(item.data))


_FIELDS = {f.column: f for f in Bounce._meta.concrete_fields}


def _values(item: _Item, now: Any) -> dict[str, Any]:
    data = item.data
    meta = dict(data.meta or {})
    if item.campaign is None and (data.campaign_uuid or data.campaign_id):
        meta.setdefault("unknown_campaign", data.campaign_uuid or data.campaign_id)
    return {
        "subscriber_id": item.subscriber.id,
        "campaign_id": item.campaign.id if item.campaign else None,
        "type": data.type,
        "source": data.source,
        "meta": meta,
        "created_at": data.created_at or now,
        "email": (data.email or item.subscriber.email).strip(),
        "event_key": data.event_key or None,
        "provider_message_id": data.provider_message_id or "",
        "status_code": data.status_code or "",
        "reason": reason_or_default(data.reason, data.type),
        "recorded_at": now,
        "raw_message_id": data.raw_message_id,
    }


def _row(item: _Item, now: Any) -> list[Any]:
    values = _values(item, now)
    return [_FIELDS[c].get_db_prep_save(values[c], connection) for c in COLUMNS]


INSERT_TAIL = " ON CONFLICT (event_key) DO NOTHING RETURNING id, event_key"


def _insert_sql(items: list[_Item], now: Any) -> tuple[str, list[Any]]:
    table, columns = Bounce._meta.db_table, ", ".join(COLUMNS)
    if connection.vendor == "postgresql":
        # The rows as one JSON parameter: psycopg re-parses a statement of over
        # 4 KB at every call, and 1,200 placeholders cost more than the insert.
        rows = [_values(item, now) for item in items]
        sql = (
            f"INSERT INTO {table} ({columns}) SELECT {columns}"  # noqa: S608 (no input in the SQL)
            f" FROM json_populate_recordset(NULL::{table}, %s::json)"
        )
        return sql + INSERT_TAIL, [json.dumps(rows, default=_iso)]
    placeholders = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    sql = f"INSERT INTO {table} ({columns}) VALUES " + ", ".join(  # noqa: S608 (placeholders only)
        [placeholders] * len(items)
    )
    return sql + INSERT_TAIL, [v for item in items for v in _row(item, now)]


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _insert(pending: list[_Item], results: list[BulkResult]) -> list[_Item]:
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
            [Bounce(**_values(item, now)) for item in unkeyed]
        )
        for item, obj in zip(unkeyed, objs, strict=True):
            _set(results, item, obj.id, created=True)
            inserted.append(item)
    return inserted


def _set(
    results: list[BulkResult], item: _Item, bounce_id: int | None, *, created: bool
) -> None:
    results[item.index].bounce_id = bounce_id
    results[item.index].created = created
    for index in item.duplicates:
        results[index].bounce_id = bounce_id


def _apply_thresholds(
    inserted: list[_Item], rules: dict[str, Any], results: list[BulkResult]
) -> None:
    """Thresholds once per (subscriber, type) pair with a new bounce.

    Counting after the whole batch is stored gives the state the one-by-one path
    reaches after its last bounce: one action when the threshold is crossed,
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
        [(item.subscriber, btype) for (_, btype), item in sorted(newest.items())],
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
    log.info("bounces recorded in bulk: %d new, %d actions", len(inserted), len(traces))


def _bounce_id(results: list[BulkResult], item: _Item) -> int:
    return results[item.index].bounce_id or 0
