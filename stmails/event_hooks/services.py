"""Outgoing event webhooks: which events exist, and how one is stored for sending.

Apps raise events inside the transaction that makes the change:

    event_hooks.emit("bounce.recorded", [data, ...])

`emit` writes one EventDelivery row per event and enabled endpoint that wants
the type, and enqueues their sending when the transaction commits (the same
durable pattern as stmails.outbox.queue_mail): a rolled-back change sends
nothing, a committed one is sent even if the broker was down (the beat sweep
re-enqueues). Sending, signing and retries: stmails.event_hooks.delivery.

With no endpoint configured an event costs at most one small query every two
seconds (`listeners`), and callers that need queries to build their data call
`listeners` first.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from stmails import durable_queue
from stmails.lib import standard_webhooks
from stmails.models import EventDelivery, EventHook

log = logging.getLogger(__name__)

BOUNCE_RECORDED = "bounce.recorded"
SUBSCRIBER_BLOCKLISTED = "subscriber.blocklisted"
SUBSCRIBER_UNSUBSCRIBED = "subscriber.unsubscribed"
SUBSCRIBER_DELETED = "subscriber.deleted"
TEST_PING = "test.ping"
ALERT_OPENED = "alert.opened"
ALERT_RECOVERED = "alert.recovered"

EVENT_TYPES = {
    BOUNCE_RECORDED: "A bounce was recorded (any source).",
    SUBSCRIBER_BLOCKLISTED: "A subscriber was blocklisted.",
    SUBSCRIBER_UNSUBSCRIBED: "A subscriber left one or more lists.",
    SUBSCRIBER_DELETED: "A subscriber was deleted.",
    ALERT_OPENED: "An alert rule's condition became true (an incident opened).",
    ALERT_RECOVERED: "An alert incident resolved.",
}

# Why a subscriber event happened (the "reason" field of its data).
REASON_ADMIN = "admin"
REASON_BOUNCES = "bounce threshold"
REASON_SUBSCRIBER = "subscriber"
REASON_IMPORT = "import"

# After a rotation the old secret keeps signing this long, next to the new one.
ROTATION_OVERLAP = timedelta(hours=24)
CREATE_BATCH = 500
# "Retry all failed" queues at most this many per click.
RETRY_BATCH = 5000


LISTENERS_SQL = "SELECT id, events FROM event_hooks WHERE enabled"
# Every recorded bounce asks who listens, usually nobody: the answer is kept
# this long per process (saving an endpoint here clears it at once; other
# processes see the change within this time).
LISTENERS_TTL = 2.0
_listeners: dict[str, Any] = {"at": float("-inf"), "rows": []}


def listeners(event_type: str) -> list[int]:
    """Ids of the enabled endpoints that want `event_type`.

    One raw query at most every LISTENERS_TTL seconds: compiling the ORM query
    on every bounce cost a tenth of POST /webhooks/bounce's throughput.
    """
    now = time.monotonic()
    if now - _listeners["at"] >= LISTENERS_TTL:
        with connection.cursor() as cursor:
            cursor.execute(LISTENERS_SQL)
            rows = cursor.fetchall()
        # JSON arrives as text on SQLite, parsed on PostgreSQL.
        _listeners["rows"] = [
            (pk, set((json.loads(ev) if isinstance(ev, str) else ev) or []))
            for pk, ev in rows
        ]
        _listeners["at"] = now
    return [pk for pk, events in _listeners["rows"] if event_type in events]


@receiver([post_save, post_delete], sender=EventHook)
def forget_listeners(**_kwargs: Any) -> None:
    _listeners["at"] = float("-inf")


def new_message_id() -> str:
    return "msg_" + secrets.token_hex(12)


def envelope(event_type: str, data: dict[str, Any], at: datetime) -> str:
    """The JSON body: {"type", "timestamp", "data"}, compact, in that order."""
    return json.dumps(
        {"type": event_type, "timestamp": at, "data": data},
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
    )


def emit(
    event_type: str,
    items: Iterable[dict[str, Any]],
    *,
    hook_ids: list[int] | None = None,
    now: datetime | None = None,
) -> list[EventDelivery]:
    """Store each event (one data dict per item) for every listening endpoint.

    Call inside the transaction that makes the change; sending is enqueued on
    commit. One event keeps one message id across endpoints and retries.
    `hook_ids`, when given, are the endpoints (from `listeners`, or the one a
    test event goes to).
    """
    hook_ids = listeners(event_type) if hook_ids is None else hook_ids
    if not hook_ids:
        return []
    now = now or timezone.now()
    rows = []
    for data in items:
        message_id, payload = new_message_id(), envelope(event_type, data, now)
        rows += [
            EventDelivery(
                hook_id=hook_id,
                event_type=event_type,
                message_id=message_id,
                payload=payload,
                created_at=now,
                enqueued_at=now,
            )
            for hook_id in hook_ids
        ]
    if not rows:
        return []
    with transaction.atomic():
        EventDelivery.objects.bulk_create(rows, batch_size=CREATE_BATCH)
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: enqueue(ids))
    return rows


def enqueue(ids: list[int]) -> None:
    durable_queue.enqueue("stmails.tasks.deliver_event", "delivery_id", ids)


# --- endpoints (Settings → Event webhooks) --------------------------------------------


def create_hook(*, name: str, url: str, events: list[str], enabled: bool = True):
    """Create an endpoint with a new secret; returns (hook, secret shown once)."""
    secret = standard_webhooks.new_secret()
    hook = EventHook(name=name, url=url, events=events, enabled=enabled)
    hook.set_secret(secret)
    hook.save()
    log.info("event webhook %s created for %s", hook.pk, events)
    return hook, secret


def rotate_secret(hook: EventHook, *, now: datetime | None = None) -> str:
    """A new secret for hook; the old one also signs for ROTATION_OVERLAP."""
    secret = standard_webhooks.new_secret()
    hook.set_secret(
        secret, keep_previous_until=(now or timezone.now()) + ROTATION_OVERLAP
    )
    hook.save(
        update_fields=[
            "secret",
            "secret_hint",
            "previous_secret",
            "previous_secret_until",
            "updated_at",
        ]
    )
    log.info("event webhook %s: secret rotated", hook.pk)
    return secret


@transaction.atomic
def send_test_event(hook: EventHook) -> EventDelivery:
    """Queue a test.ping to this endpoint alone, whatever events it wants."""
    data = {
        "message": "A test event from stmails.",
        "endpoint": {"id": hook.pk, "name": hook.name},
    }
    [delivery] = emit(TEST_PING, [data], hook_ids=[hook.pk])
    return delivery


def retry_delivery(delivery: EventDelivery, *, now: datetime | None = None) -> bool:
    """Queue a failed (or waiting) delivery now; False when it is not retryable."""
    now = now or timezone.now()
    queued = EventDelivery.objects.filter(
        pk=delivery.pk,
        status__in=[EventDelivery.Status.FAILED, EventDelivery.Status.AWAITING_RETRY],
    ).update(status=EventDelivery.Status.QUEUED, enqueued_at=now, next_try_at=None)
    if queued:
        transaction.on_commit(lambda: enqueue([delivery.pk]))
    return bool(queued)


def retry_failed(hook: EventHook, *, now: datetime | None = None) -> int:
    """Queue every failed delivery of hook again (after the receiver came back)."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            EventDelivery.objects.select_for_update()
            .filter(hook=hook, status=EventDelivery.Status.FAILED)
            .order_by("id")
            .values_list("pk", flat=True)[:RETRY_BATCH]
        )
        EventDelivery.objects.filter(pk__in=ids).update(
            status=EventDelivery.Status.QUEUED, enqueued_at=now, next_try_at=None
        )
        transaction.on_commit(lambda: enqueue(ids))
    return len(ids)
