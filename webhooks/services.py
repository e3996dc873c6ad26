"""Provider webhooks: store verified events first, then turn them into bounces.

Entry points: the service view (receive_webhook -> store_events), the Celery
tasks and the settings page's re-run button (process_event), the beat job
(retry_due_events).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from bounces.recording import record_bounces
from bounces.services import BounceError, NewBounce, bounce_settings
from stmails.config import SettingsError, update_settings
from stmails.lib.dates import json_default
from stmails.lib.raw_sql import db_value
from webhooks.intake import GENERIC, stored_bounce
from webhooks.models import WebhookEvent
from webhooks.providers.base import IGNORED, ProviderEvent, provider_reason

log = logging.getLogger(__name__)
Status = WebhookEvent.Status

MAX_ATTEMPTS = 8
# Events per process_events call from the beat job: one record_bounces each.
GROUP_SIZE = 200
# A received event no task picked up after this long (worker down, lost message)
# is handed to the worker again by the beat job.
STUCK_AFTER = timedelta(minutes=5)
KEEP_DAYS = 30
# Headers worth keeping for diagnosis; never Authorization or secret headers.
KEPT_HEADERS = (
    "content-type",
    "user-agent",
    "x-amz-sns-message-id",
    "x-amz-sns-topic-arn",
    "x-amz-sns-message-type",
    "x-twilio-email-event-webhook-timestamp",
    "x-messagesystems-batch-id",
    "svix-id",
    "svix-timestamp",
)


class WebhookError(Exception):
    """A message safe to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class StoreResult:
    new_ids: list[int] = field(default_factory=list)  # actionable events to process
    stored: int = 0
    duplicates: int = 0


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: headers[name][:500] for name in KEPT_HEADERS if headers.get(name)}


# The inbox columns store_events writes (_json_row's keys).
COLUMNS = (
    "provider",
    "event_key",
    "status",
    "type",
    "email",
    "message_id",
    "campaign_uuid",
    "subscriber_uuid",
    "occurred_at",
    "status_code",
    "diagnostic",
    "reason",
    "payload",
    "headers",
    "received_at",
    "attempts",
    "error",
)


def _row(
    slug: str, event: ProviderEvent, headers: dict[str, str], now: Any
) -> list[Any]:
    values = _json_row(slug, event, headers, now)
    return [_FIELDS[c].get_db_prep_save(values[c], connection) for c in COLUMNS]


_FIELDS = {f.column: f for f in WebhookEvent._meta.concrete_fields}


INSERT_TAIL = " ON CONFLICT (provider, event_key) DO NOTHING RETURNING id, status"


def _insert_from_values(
    slug: str, events: list[ProviderEvent], headers: dict[str, str], now: Any
) -> tuple[str, list[Any]]:
    placeholders = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    sql = (
        f"INSERT INTO webhook_events ({', '.join(COLUMNS)}) VALUES "  # noqa: S608 (placeholders only)
        + ", ".join([placeholders] * len(events))
        + INSERT_TAIL
    )
    return sql, [v for e in events for v in _row(slug, e, headers, now)]


def _insert_from_json(
    slug: str, events: list[ProviderEvent], headers: dict[str, str], now: Any
) -> tuple[str, list[Any]]:
    """PostgreSQL: the rows as one JSON parameter, expanded by json_populate_recordset.

    psycopg re-parses a statement of over 4 KB at every call (its cache stops
    there): 1,600 placeholders cost half the request's CPU (bench/).
    """
    columns = ", ".join(COLUMNS)
    rows = [_json_row(slug, e, headers, now) for e in events]
    sql = (
        f"INSERT INTO webhook_events ({columns}) SELECT {columns}"  # noqa: S608 (no input in the SQL)
        " FROM json_populate_recordset(NULL::webhook_events, %s::json)" + INSERT_TAIL
    )
    return sql, [json.dumps(rows, default=json_default)]


def _json_row(
    slug: str, event: ProviderEvent, headers: dict[str, str], now: Any
) -> dict[str, Any]:
    return {
        "provider": slug,
        "event_key": event.event_key,
        "status": Status.IGNORED if event.type == IGNORED else Status.RECEIVED,
        "type": event.type,
        "email": event.email[:320],
        "message_id": event.message_id[:500],
        "campaign_uuid": event.campaign_uuid or "",
        "subscriber_uuid": event.subscriber_uuid or "",
        "occurred_at": event.occurred_at,
        "status_code": event.status[:20],
        "diagnostic": event.diagnostic,
        "reason": provider_reason(event),
        "payload": event.raw,
        "headers": headers,
        "received_at": now,
        "attempts": 0,
        "error": "",
    }


def store_events(
    slug: str, events: list[ProviderEvent], headers: Mapping[str, str]
) -> StoreResult:
    """Store a request's events in one transaction; duplicates add nothing.

    One INSERT ... ON CONFLICT DO NOTHING RETURNING: the rows it returns are the
    new ones (PostgreSQL and SQLite >= 3.35), so a provider's retry, or the same
    event twice in one batch, enqueues nothing. The caller enqueues on commit.
    """
    result = StoreResult()
    seen: set[str] = set()
    unique = []
    for event in events:
        if event.event_key not in seen:
            seen.add(event.event_key)
            unique.append(event)
    if not unique:
        return result
    kept = kept_headers(headers)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(*_insert_from_json(slug, unique, kept, now))
        else:
            cursor.execute(*_insert_from_values(slug, unique, kept, now))
        rows = cursor.fetchall()
    result.stored = len(rows)
    result.duplicates = len(events) - len(rows)
    result.new_ids = [pk for pk, status in rows if status == Status.RECEIVED]
    return result


def _new_bounce(event: WebhookEvent) -> NewBounce:
    if event.provider == GENERIC:  # POST /webhooks/bounce: its body, read again
        return stored_bounce(event)
    return NewBounce(
        type=event.type,
        source=event.provider,
        subscriber_uuid=event.subscriber_uuid or None,
        email=event.email or None,
        campaign_uuid=event.campaign_uuid or None,
        meta={
            "provider": event.provider,
            "event_key": event.event_key,
            "message_id": event.message_id,
            "status": event.status_code,
            "diagnostic": event.diagnostic[:1000],
            "webhook_event_id": event.id,
        },
        created_at=event.occurred_at,
        event_key=f"{event.provider}:{event.event_key}",
        provider_message_id=event.message_id,
        status_code=event.status_code,
        reason=event.reason,
        origin="provider",
        payload=event.payload,  # kept on the Unmatched list when nobody matches
    )


def _apply(events: list[WebhookEvent], config: dict[str, Any]) -> None:
    """record_bounces for claimed events; sets each one's status fields.

    Each event is validated on its own inside record_bounces: a bad one gets
    its error and the others their bounces. An unknown subscriber is final
    (ignored, error kept, listed on Bounces -> Unmatched with the payload);
    anything else leaves the event failed, to be retried.
    """
    now = timezone.now()
    for event in events:
        event.attempts += 1
        event.processed_at = now
    try:
        results = record_bounces([_new_bounce(e) for e in events], config=config)
    except BounceError as e:  # bounce processing is off: every event waits
        for event in events:
            event.status = Status.FAILED
            event.error = str(e)
        return
    for event, result in zip(events, results, strict=True):
        if result.error is not None:
            event.status = (
                Status.IGNORED if result.error.status == 404 else Status.FAILED
            )
            event.error = str(result.error)
        else:
            event.status = Status.PROCESSED
            event.error = ""
            event.bounce_id = result.bounce_id


SAVED_FIELDS = ["status", "error", "attempts", "processed_at", "bounce"]


def _save_statuses(events: list[WebhookEvent]) -> None:
    """One UPDATE ... FROM for a group's status fields.

    bulk_update's CASE expressions cost twice the recording itself in Django's
    query compiler (bench/). SQLite: VALUES, whose columns are column1...
    processed_at is the same for the whole group (_apply).
    """
    if not events:
        return
    processed_at = db_value(WebhookEvent, "processed_at", events[0].processed_at)
    table = WebhookEvent._meta.db_table
    if connection.vendor == "postgresql":
        # One JSON parameter (see _insert_from_json).
        sql = (
            f"UPDATE {table} SET status = v.status, error = v.error,"  # noqa: S608 (no input in the SQL)
            " attempts = v.attempts, bounce_id = v.bounce_id, processed_at = %s"
            f" FROM json_populate_recordset(NULL::{table}, %s::json) AS v"
            f" WHERE {table}.id = v.id"
        )
        rows = [
            {
                "id": e.id,
                "status": e.status,
                "error": e.error,
                "attempts": e.attempts,
                "bounce_id": e.bounce_id,
            }
            for e in events
        ]
        params: list[Any] = [processed_at, json.dumps(rows)]
    else:
        row = "(CAST(%s AS bigint), %s, %s, CAST(%s AS integer), CAST(%s AS bigint))"
        sql = (
            f"UPDATE {table} SET status = v.column2, error = v.column3,"  # noqa: S608 (placeholders only)
            " attempts = v.column4, bounce_id = v.column5, processed_at = %s"
            f" FROM (VALUES {', '.join([row] * len(events))}) AS v"
            f" WHERE {table}.id = v.column1"
        )
        params = [processed_at]
        for e in events:
            params += [e.id, e.status, e.error, e.attempts, e.bounce_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _claim(event_ids: list[int]) -> list[WebhookEvent]:
    # SKIP LOCKED: another worker on the same event has it; processed or ignored
    # events are not selected. (record_bounces locks subscribers in id order.)
    return list(
        WebhookEvent.objects.select_for_update(skip_locked=True)
        .filter(id__in=event_ids, status__in=[Status.RECEIVED, Status.FAILED])
        .order_by("id")
        .defer("headers")
    )


def process_event(event_id: int, *, config: dict[str, Any] | None = None) -> str | None:
    """Turn one stored event into a bounce, exactly once. Returns the new status.

    1. Claim the row (FOR UPDATE SKIP LOCKED): a second worker on the same event
       skips it; a processed or ignored event is left alone (None).
    2. Record the bounce, keyed "<provider>:<event_key>", in the same transaction
       as the status change: a crash leaves both undone.
    3. Any error is kept on the row (record_bounces rolled its savepoint back).
    """
    config = config or bounce_settings()
    with transaction.atomic():
        claimed = _claim([event_id])
        if not claimed:
            return None
        event = claimed[0]
        try:
            _apply(claimed, config)
        except Exception as e:  # noqa: BLE001 (kept on the row, retried; the request already answered)
            log.exception("webhook event %s failed", event.id)
            event.status = Status.FAILED
            event.error = f"{type(e).__name__}: {e}"[:2000]
        event.save(update_fields=SAVED_FIELDS)
    return event.status


def process_events(
    event_ids: list[int], *, config: dict[str, Any] | None = None
) -> tuple[dict[str, int], list[int]]:
    """A group of events in one transaction: counts by status, and the failed ids.

    One claim, one record_bounces (a handful of queries for the whole group),
    one status update, one commit. Should the group fail as a whole (a deadlock
    with another writer, an unexpected error), the events go one by one, so a
    bad event fails alone.
    """
    config = config or bounce_settings()
    try:
        with transaction.atomic():
            events = _claim(event_ids)
            _apply(events, config)
            _save_statuses(events)
        results = {e.id: e.status for e in events}
    except Exception:  # noqa: BLE001 (each event retried alone just below)
        log.warning(
            "webhook group of %d failed as a whole: one by one",
            len(event_ids),
            exc_info=True,
        )
        results = {i: process_event(i, config=config) for i in event_ids}
    counts: dict[str, int] = {}
    for event_id in event_ids:
        key = results.get(event_id) or "skipped"
        counts[key] = counts.get(key, 0) + 1
    failed = [i for i, status in results.items() if status == Status.FAILED]
    return counts, failed


def rerun_event(event_id: int) -> str:
    """The settings page's re-run button: a failed or ignored event gets another go."""
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(id=event_id).first()
        if event is None:
            raise WebhookError("no such webhook event")
        if event.status == Status.PROCESSED:
            raise WebhookError("this event was already recorded as a bounce")
        if event.type == IGNORED:
            raise WebhookError("this kind of event never records a bounce")
        event.status = Status.RECEIVED
        event.error = ""
        event.save(update_fields=["status", "error"])
    return process_event(event_id) or event.status


def due_event_ids(*, limit: int = 500) -> list[int]:
    """Failed events under the attempt cap, and received ones nobody picked up."""
    now = timezone.now()
    failed = WebhookEvent.objects.filter(
        status=Status.FAILED, attempts__lt=MAX_ATTEMPTS
    )
    stuck = WebhookEvent.objects.filter(
        status=Status.RECEIVED, received_at__lt=now - STUCK_AFTER
    )
    return list(
        (failed | stuck).order_by("received_at").values_list("id", flat=True)[:limit]
    )


def prune_events(*, days: int = KEEP_DAYS) -> int:
    """Forget processed and ignored events after `days` (bounces keep event_key)."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = WebhookEvent.objects.filter(
        status__in=[Status.PROCESSED, Status.IGNORED], received_at__lt=cutoff
    ).delete()
    return deleted


def apply_handshake_settings(changes: dict[str, Any], provider: str) -> None:
    """A handshake's settings (SES remembers an accepted topic), audited as the provider's."""
    if not changes:
        return
    try:
        update_settings(changes, actor=f"webhook:{provider}")
    except SettingsError as e:
        raise WebhookError(str(e)) from None


def provider_summaries(slugs: list[str]) -> dict[str, dict[str, Any]]:
    """Per provider: last received time and counts by status, for the settings pages."""
    out: dict[str, dict[str, Any]] = {
        s: {"last_received": None, "counts": {}} for s in slugs
    }
    rows = WebhookEvent.objects.values("provider", "status").annotate(
        n=Count("id"), last=Max("received_at")
    )
    for row in rows:
        summary = out.setdefault(row["provider"], {"last_received": None, "counts": {}})
        summary["counts"][row["status"]] = row["n"]
        if summary["last_received"] is None or row["last"] > summary["last_received"]:
            summary["last_received"] = row["last"]
    return out
