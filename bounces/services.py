"""Bounce services: the one bounce type every source produces, thresholds re-applied,
deletes and undo.

Every source (POST /webhooks/bounce, mailbox scans, provider webhooks, custom
providers, SMTP rejections) builds `NewBounce`s and records them with
bounces.recording.record_bounces; the beat job and the Settings page end in
`reapply_thresholds`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from bounces.models import Bounce, BounceAction
from bounces.thresholds import apply_thresholds, window_start
from stmails.config import get_values
from stmails.lib.datetime_display import show_datetime
from subscribers.models import Subscriber, Subscription
from subscribers.services import blocklist_subscribers

log = logging.getLogger(__name__)


class BounceError(Exception):
    """A message safe to show; `field` names the input at fault, `status` the HTTP code."""

    def __init__(self, field: str, message: str, *, status: int = 400):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message
        self.status = status


@dataclass
class NewBounce:
    """One bounce as any source reports it: the one type the recording path takes.

    Matching (bounces.matching) uses subscriber_uuid, original_message_id,
    verp_token, email and recipients; a bounce that matches nobody is kept as
    an UnmatchedBounce with source, mailbox and payload. A new field is one
    line here and one in recording.bounce_values (and the model).
    """

    type: str
    source: str
    subscriber_uuid: str | None = None
    email: str | None = None
    campaign_uuid: str | None = None
    campaign_id: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    # Idempotency: the same bounce reported again is stored once (unique column).
    event_key: str | None = None
    provider_message_id: str = ""
    status_code: str = ""
    raw_message_id: int | None = None  # the mailbox message it came from
    reason: str = ""  # bounces.parsing.reasons; "" -> undefined (feedback if complaint)
    # Matching only: our Message-ID the bounce refers to, the VERP token it was
    # sent to, other addresses it names (Original-/Final-Recipient).
    original_message_id: str | None = None
    verp_token: str | None = None
    recipients: tuple[str, ...] = ()
    # Kept on the unmatched entry when nobody matches. origin: the kind of source
    # (mailbox | provider | api | smtp), as the dashboard groups them.
    origin: str = "api"
    mailbox_uuid: str | None = None
    mailbox_name: str = ""
    payload: Any = None  # a provider's or the API's body, for the Unmatched page


@dataclass
class RecordResult:
    """One bounce's outcome. bounce_id: the bounce stored for it (or already
    stored under its event key); None with an error, or when a delete action
    removed it with its subscriber. via: how it was matched."""

    bounce_id: int | None = None
    created: bool = False
    error: BounceError | None = None
    actions: list[BounceAction] = field(default_factory=list)
    via: str = ""

    @property
    def bounce(self) -> Bounce | None:
        return Bounce.objects.filter(pk=self.bounce_id).first()


def bounce_settings() -> dict[str, Any]:
    return get_values("bounce.enabled", "bounce.webhooks_enabled", "bounce.actions")


@dataclass
class ReapplyResult:
    checked: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    deleted_bounces: int = 0


def reapply_thresholds() -> ReapplyResult:
    """Apply the current thresholds to every subscriber with bounces (beat, Settings).

    Each subscriber is handled in its own transaction, so a long run holds no
    long locks and a crash loses nothing already applied.
    """
    config = bounce_settings()
    result = ReapplyResult()
    if not config["bounce.enabled"]:
        return result
    rules = config["bounce.actions"]
    for btype, rule in rules.items():
        if rule["action"] == "none":
            continue
        candidates = Bounce.objects.filter(type=btype)
        since = window_start(rule)
        if since:
            candidates = candidates.filter(created_at__gte=since)
        if rule["action"] == "blocklist":
            candidates = candidates.filter(
                ~Q(subscriber__status=Subscriber.Status.BLOCKLISTED)
            )
        ids = (
            candidates.values("subscriber_id")
            .annotate(n=Count("id"))
            .filter(n__gte=rule["count"])
            .values_list("subscriber_id", flat=True)
        )
        for subscriber_id in list(ids.iterator(chunk_size=2000)):
            with transaction.atomic():
                subscriber = (
                    Subscriber.objects.select_for_update()
                    .filter(id=subscriber_id)
                    .first()
                )
                if subscriber is None:
                    continue
                result.checked += 1
                traces = apply_thresholds(
                    [(subscriber, btype)], rules, trigger="reapply"
                )
            for trace in traces.values():
                result.actions[trace.action] = result.actions.get(trace.action, 0) + 1
                result.deleted_bounces += trace.deleted_bounces
    return result


@transaction.atomic
def delete_subscriber_bounces(subscriber: Subscriber) -> int:
    """Reset a subscriber's bounce count (DELETE /api/subscribers/{id}/bounces)."""
    count, _ = Bounce.objects.filter(subscriber=subscriber).delete()
    return count


@transaction.atomic
def delete_bounces(*, ids: list[int] | None = None, all_bounces: bool = False) -> int:
    qs = (
        Bounce.objects.all() if all_bounces else Bounce.objects.filter(id__in=ids or [])
    )
    count, _ = qs.delete()
    return count


@transaction.atomic
def blocklist_bounced_subscribers() -> int:
    """listmonk's PUT /api/bounces/blocklist: blocklist everyone with a bounce."""
    ids = list(
        Subscriber.objects.filter(bounces__isnull=False)
        .exclude(status=Subscriber.Status.BLOCKLISTED)
        .values_list("id", flat=True)
        .distinct()
    )
    return blocklist_subscribers(ids)


@dataclass
class UndoResult:
    email: str
    reverted: list[str] = field(default_factory=list)  # actions put back


@transaction.atomic
def undo_bounce(bounce: Bounce) -> UndoResult:
    """Delete a false bounce and revert the actions it triggered.

    An action triggered by this bounce has it as its newest counted bounce
    (`last_bounce_id`). Blocklist and unsubscribe are reverted from what the
    trace remembered: the subscriber's previous status and the memberships it
    unsubscribed (only those still unsubscribed). A delete action cannot be
    undone (the bounce went with the subscriber, so it never reaches here).
    The trace stays, marked reverted.
    """
    result = UndoResult(email=bounce.email)
    traces = BounceAction.objects.select_for_update().filter(
        last_bounce_id=bounce.id, reverted_at__isnull=True, subscriber__isnull=False
    )
    now = timezone.now()
    for trace in traces:
        if trace.action == BounceAction.Action.DELETE:
            continue
        if trace.action == BounceAction.Action.BLOCKLIST and trace.previous_status:
            Subscriber.objects.filter(
                id=trace.subscriber_id, status=Subscriber.Status.BLOCKLISTED
            ).update(status=trace.previous_status, updated_at=now)
        for list_id, status in (trace.changed_subscriptions or {}).items():
            Subscription.objects.filter(
                subscriber_id=trace.subscriber_id,
                list_id=int(list_id),
                status=Subscription.Status.UNSUBSCRIBED,
            ).update(status=status, updated_at=now)
        trace.reverted_at = now
        trace.reason += f"; reverted on {show_datetime(now)} (false bounce)"
        trace.save(update_fields=["reverted_at", "reason"])
        result.reverted.append(trace.action)
    bounce.delete()
    log.info("bounce undone: %s reverted=%s", result.email, result.reverted)
    return result


@transaction.atomic
def delete_unmatched(*, ids: list[int] | None = None, all_entries: bool = False) -> int:
    """Delete unmatched-bounce entries, and their raw messages nothing else uses."""
    from bounces.models import RawMessage, UnmatchedBounce

    qs = (
        UnmatchedBounce.objects.all()
        if all_entries
        else UnmatchedBounce.objects.filter(id__in=ids or [])
    )
    raw_ids = set(qs.exclude(raw_message=None).values_list("raw_message_id", flat=True))
    count, _ = qs.delete()
    RawMessage.objects.filter(
        id__in=raw_ids, bounces=None, unmatchedbounce=None
    ).delete()
    return count
