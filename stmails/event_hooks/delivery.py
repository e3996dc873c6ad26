"""Send stored event webhooks: sign, POST, retry with backoff, keep a log.

The `event_deliveries` table is the queue; Celery only carries row ids. States:

    queued ──claim──> delivering ──2xx──> delivered
       ^                   │ anything else ──> awaiting_retry ─┐
       │                   │ (out of attempts) ──> failed      │
       └──── deliver_due (beat, when next_try_at is due) <─────┘

Delivery is at least once. The claim (queued -> delivering, attempts + 1)
commits before the POST, so two workers never send one row at the same time;
a worker that dies mid-POST leaves a "delivering" row that `deliver_due`
queues again after DELIVERING_TIMEOUT. The receiver may then get the message
twice: every attempt carries the same webhook-id, which receivers dedupe by
(as the Standard Webhooks spec asks).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from stmails import durable_queue
from stmails.event_hooks.services import enqueue
from stmails.lib import crypto, http, standard_webhooks
from stmails.models import EventDelivery, EventHook

log = logging.getLogger(__name__)

Status = EventDelivery.Status

# Waits after the 1st, 2nd, ... failed attempt: 8 attempts over about 22 hours.
BACKOFF = (30, 120, 600, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
MAX_ATTEMPTS = len(BACKOFF) + 1
TIMEOUT = 10.0
# Far longer than a POST with TIMEOUT can take: a row "delivering" that long
# belongs to a dead worker.
DELIVERING_TIMEOUT = timedelta(minutes=5)
# A queued row whose broker message got lost (broker down at enqueue time).
REENQUEUE_AFTER = timedelta(minutes=10)
SWEEP_BATCH = durable_queue.SWEEP_BATCH
# Delivered and failed rows are kept this long for the delivery log.
KEEP_FINISHED = timedelta(days=30)
EXCERPT_CHARS = 500
MAX_RESPONSE_BYTES = 256 * 1024


def deliver(delivery_id: int, now: datetime | None = None) -> str:
    """Claim one queued delivery and POST it; returns its new status ("skipped"
    when another worker has it, it is not queued, or its endpoint is gone)."""
    now = now or timezone.now()
    claimed = EventDelivery.objects.filter(pk=delivery_id, status=Status.QUEUED).update(
        status=Status.DELIVERING,
        claimed_at=now,
        last_attempt_at=now,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return "skipped"
    delivery = EventDelivery.objects.get(pk=delivery_id)
    hook = EventHook.objects.filter(pk=delivery.hook_id).first()
    if hook is None:
        # The endpoint was deleted while this row was being written (no FK
        # constraint: see EventDelivery.hook).
        delivery.delete()
        return "skipped"
    if not hook.enabled:
        return _record_failure(delivery, now, "the endpoint is disabled", final=True)
    try:
        headers = standard_webhooks.headers(
            hook.signing_secrets(now),
            delivery.message_id,
            int(now.timestamp()),
            delivery.body,
        )
    except (crypto.DecryptionError, standard_webhooks.SecretError) as e:
        return _record_failure(delivery, now, f"cannot sign: {e}")
    headers["Content-Type"] = "application/json"
    try:
        response = http.post(
            hook.url,
            delivery.body,
            headers=headers,
            timeout=TIMEOUT,
            max_bytes=MAX_RESPONSE_BYTES,
        )
    except http.HttpError as e:
        return _record_failure(delivery, now, e.message, code=e.status)
    if not 200 <= response.status < 300:
        # Status and timing only: showing what an unexpected target answered
        # would make the delivery log a window into other services.
        return _record_failure(
            delivery,
            now,
            f"HTTP {response.status} (2xx expected)",
            code=response.status,
        )
    excerpt = _excerpt(response.body)
    EventDelivery.objects.filter(pk=delivery.pk, claimed_at=delivery.claimed_at).update(
        status=Status.DELIVERED,
        delivered_at=now,
        next_try_at=None,
        last_status_code=response.status,
        last_error="",
        response_excerpt=excerpt,
    )
    return Status.DELIVERED


def _excerpt(body: bytes) -> str:
    return body[: EXCERPT_CHARS * 4].decode("utf-8", "replace")[:EXCERPT_CHARS]


def _record_failure(
    delivery: EventDelivery,
    now: datetime,
    error: str,
    *,
    code: int | None = None,
    final: bool = False,
) -> str:
    next_try_at = durable_queue.next_try_at(
        delivery.attempts, BACKOFF, now, final=final
    )
    status = Status.AWAITING_RETRY if next_try_at else Status.FAILED
    # Filtered by the claim: a row recovered from a stuck worker and claimed
    # again belongs to its new worker.
    EventDelivery.objects.filter(pk=delivery.pk, claimed_at=delivery.claimed_at).update(
        status=status,
        next_try_at=next_try_at,
        last_status_code=code,
        last_error=error,
        response_excerpt="",
    )
    log.warning(
        "event webhook %s (%s) to endpoint %s, attempt %s: %s -> %s",
        delivery.message_id, delivery.event_type, delivery.hook_id,
        delivery.attempts, error, status,
    )  # fmt: skip
    return status


@dataclass
class DueResult:
    retried: int = 0
    requeued_lost: int = 0
    recovered: int = 0
    failed: int = 0
    pruned: int = 0


def deliver_due(now: datetime | None = None) -> DueResult:
    """Beat: enqueue due retries, re-enqueue lost queued rows, recover rows of
    dead workers, prune old finished rows. Idempotent."""
    now = now or timezone.now()
    result = DueResult()
    stuck = EventDelivery.objects.filter(
        status=Status.DELIVERING, claimed_at__lt=now - DELIVERING_TIMEOUT
    ).only("pk", "claimed_at", "attempts")
    for delivery in stuck[:SWEEP_BATCH]:
        rows = EventDelivery.objects.filter(
            pk=delivery.pk, claimed_at=delivery.claimed_at
        )
        if delivery.attempts >= MAX_ATTEMPTS:
            result.failed += rows.update(
                status=Status.FAILED,
                last_error="the worker stopped while delivering, on the last attempt",
            )
        elif rows.update(
            status=Status.QUEUED,
            enqueued_at=now,
            last_error="the worker stopped while delivering; sent again",
        ):
            result.recovered += 1
            enqueue([delivery.pk])
    result.retried = durable_queue.requeue_due_retries(EventDelivery, now, enqueue)
    result.requeued_lost = durable_queue.requeue_lost(
        EventDelivery, now, REENQUEUE_AFTER, enqueue
    )
    old = EventDelivery.objects.filter(
        status__in=[Status.DELIVERED, Status.FAILED],
        created_at__lt=now - KEEP_FINISHED,
    ).values_list("pk", flat=True)[:SWEEP_BATCH]
    result.pruned, _ = EventDelivery.objects.filter(pk__in=list(old)).delete()
    return result
