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

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import Lower
from django.utils import timezone

from bounces.services import BounceError, NewBounce, bounce_settings, record_bounce
from stmails.config import SettingsError, update_settings
from subscribers.models import Subscriber
from webhooks.models import WebhookEvent
from webhooks.providers.base import IGNORED, ProviderEvent

log = logging.getLogger(__name__)
Status = WebhookEvent.Status

MAX_ATTEMPTS = 8
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


def _columns() -> list[str]:
    return [
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
        "payload",
        "headers",
        "received_at",
        "attempts",
        "error",
    ]


def _row(
    slug: str, event: ProviderEvent, headers: dict[str, str], now: Any
) -> list[Any]:
    values = {
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
        "payload": event.raw,
        "headers": headers,
        "received_at": now,
        "attempts": 0,
        "error": "",
    }
    fields = {f.column: f for f in WebhookEvent._meta.concrete_fields}
    return [fields[c].get_db_prep_save(values[c], connection) for c in _columns()]


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
    columns = _columns()
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = (
        f"INSERT INTO webhook_events ({', '.join(columns)}) VALUES "  # noqa: S608 (placeholders only)
        + ", ".join([placeholders] * len(unique))
        + " ON CONFLICT (provider, event_key) DO NOTHING RETURNING id, status"
    )
    params = [v for e in unique for v in _row(slug, e, kept, now)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result.stored = len(rows)
    result.duplicates = len(events) - len(rows)
    result.new_ids = [pk for pk, status in rows if status == Status.RECEIVED]
    return result


def _new_bounce(event: WebhookEvent) -> NewBounce:
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
    )


def _apply(event: WebhookEvent, config: dict[str, Any]) -> None:
    """record_bounce for one claimed event, in a savepoint; sets its status fields."""
    event.attempts += 1
    event.processed_at = timezone.now()
    try:
        # record_bounce writes inside its own savepoint, so a failed bounce leaves
        # the batch's transaction usable (and the event marked failed).
        result = record_bounce(_new_bounce(event), config=config)
    except BounceError as e:
        event.status = Status.IGNORED if e.status == 404 else Status.FAILED
        event.error = str(e)
    except Exception as e:  # noqa: BLE001 (kept on the row, retried; the request already answered)
        log.exception("webhook event %s failed", event.id)
        event.status = Status.FAILED
        event.error = f"{type(e).__name__}: {e}"[:2000]
    else:
        event.status = Status.PROCESSED
        event.error = ""
        event.bounce_id = result.bounce.id


SAVED_FIELDS = ["status", "error", "attempts", "processed_at", "bounce"]


def _claim(event_ids: list[int]) -> list[WebhookEvent]:
    # SKIP LOCKED: another worker on the same event has it; processed or ignored
    # events are not selected. Ordered by email so concurrent batches lock
    # subscriber rows in the same order (no deadlock between two batches).
    return list(
        WebhookEvent.objects.select_for_update(skip_locked=True)
        .filter(id__in=event_ids, status__in=[Status.RECEIVED, Status.FAILED])
        .order_by("email", "id")
        .defer("payload", "headers")
    )


def _lock_subscribers(events: list[WebhookEvent]) -> None:
    """Lock the batch's subscribers up front, in id order.

    record_bounce locks a subscriber only when its rule acts, and a bounce's
    foreign key takes a share lock: two batches with a soft then a hard bounce
    for the same address would each hold the share lock and wait for the other's
    to upgrade (a deadlock). One ordered lock per batch prevents that.
    """
    if not connection.features.has_select_for_update or len(events) < 2:
        return
    emails = {e.email.lower() for e in events if e.email and not e.subscriber_uuid}
    uuids = {e.subscriber_uuid for e in events if e.subscriber_uuid}
    match = Q(lower_email__in=emails) | Q(uuid__in=uuids)
    list(
        Subscriber.objects.annotate(lower_email=Lower("email"))
        .filter(match)
        .select_for_update(of=("self",))
        .order_by("id")
        .values_list("id", flat=True)
    )


def process_event(event_id: int, *, config: dict[str, Any] | None = None) -> str | None:
    """Turn one stored event into a bounce, exactly once. Returns the new status.

    1. Claim the row (FOR UPDATE SKIP LOCKED): a second worker on the same event
       skips it; a processed or ignored event is left alone (None).
    2. record_bounce, keyed "<provider>:<event_key>", in the same transaction as
       the status change: a crash leaves both undone.
    3. An unknown subscriber is final (ignored, error kept); bounce processing
       being off or any other error leaves the event failed, to be retried.
    """
    config = config or bounce_settings()
    with transaction.atomic():
        claimed = _claim([event_id])
        if not claimed:
            return None
        event = claimed[0]
        _apply(event, config)
        event.save(update_fields=SAVED_FIELDS)
    return event.status


def process_events(event_ids: list[int]) -> tuple[dict[str, int], list[int]]:
    """A request's events in one transaction: counts by status, and the failed ids.

    The same steps as process_event, with one claim, one commit and one status
    update for the batch (a commit per event cost more than the bounce itself);
    each bounce still has its own savepoint. Should the batch transaction fail
    as a whole (a deadlock with another writer), the events go one by one.
    """
    config = bounce_settings()
    try:
        with transaction.atomic():
            events = _claim(event_ids)
            _lock_subscribers(events)
            for event in events:
                _apply(event, config)
            WebhookEvent.objects.bulk_update(events, SAVED_FIELDS)
        results = {e.id: e.status for e in events}
    except DatabaseError:
        log.warning("webhook batch of %d failed as a whole: one by one", len(event_ids))
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


def apply_handshake_settings(changes: dict[str, Any]) -> None:
    """A handshake's settings (SES remembers an accepted topic)."""
    if not changes:
        return
    try:
        update_settings(changes)
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


def payload_text(event: WebhookEvent) -> str:
    return json.dumps(event.payload, indent=2, sort_keys=True, default=str)
