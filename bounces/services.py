"""The one place bounces are recorded and thresholds turn into actions.

Every source (POST /webhooks/bounce, mailboxes, provider webhooks, SMTP
rejections) ends in `record_bounce`; the beat job and the Settings page end in
`reapply_thresholds`.
"""

from __future__ import annotations

import logging
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from bounces import hook_events
from bounces.models import Bounce, BounceAction, BounceType
from bounces.parsing.reasons import reason_or_default
from bounces.thresholds import apply_threshold, window_start
from campaigns.models import Campaign
from stmails.config import get_values
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
    type: str
    source: str
    subscriber_uuid: str | None = None
    email: str | None = None
    campaign_uuid: str | None = None
    campaign_id: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    event_key: str | None = None
    provider_message_id: str = ""
    status_code: str = ""
    raw_message_id: int | None = None  # the mailbox message it came from
    reason: str = ""  # bounces.parsing.reasons; "" -> undefined (feedback if complaint)


@dataclass
class RecordResult:
    bounce: Bounce
    created: bool
    actions: list[BounceAction] = field(default_factory=list)


def bounce_settings() -> dict[str, Any]:
    return get_values("bounce.enabled", "bounce.webhooks_enabled", "bounce.actions")


# Every bounce goes through these lookups, so they are raw SQL: compiling the
# equivalent ORM queries cost a third of the webhook's CPU time (bench/). Only
# the columns the actions use; the lower(email) lookup uses its unique index.
SUBSCRIBER_SQL = "SELECT id, uuid, email, status FROM subscribers WHERE {} LIMIT 1{}"
CAMPAIGN_SQL = "SELECT id, uuid, name FROM campaigns WHERE {} LIMIT 1"


def _db_uuid(model: type, value: uuidlib.UUID) -> Any:
    # uuid columns are native on PostgreSQL and 32 hex characters on SQLite.
    return model._meta.get_field("uuid").get_db_prep_value(value, connection)


def find_subscriber(
    subscriber_uuid: str | None, email: str | None, *, lock: bool = True
) -> Subscriber:
    """By uuid when given (it wins, as in listmonk), else by email, case-insensitively.

    With lock, the row is locked (FOR UPDATE): call inside a transaction.
    """
    lock_sql = (
        " FOR UPDATE" if lock and connection.features.has_select_for_update else ""
    )
    if subscriber_uuid:
        try:
            key = uuidlib.UUID(str(subscriber_uuid))
        except ValueError:
            raise BounceError("subscriber_uuid", "is not a valid UUID") from None
        sql, param = (
            SUBSCRIBER_SQL.format("uuid = %s", lock_sql),
            _db_uuid(Subscriber, key),
        )
    elif email:
        sql, param = (
            SUBSCRIBER_SQL.format("LOWER(email) = %s", lock_sql),
            email.strip().lower(),
        )
    else:
        raise BounceError("email", "either email or subscriber_uuid is required")
    found = next(iter(Subscriber.objects.raw(sql, [param])), None)
    if found is None:
        log.info(
            "bounce unmatched: no subscriber with %s %s",
            "uuid" if subscriber_uuid else "email",
            subscriber_uuid or email,
        )
        raise BounceError(
            "subscriber_uuid" if subscriber_uuid else "email",
            f"bounced subscriber {subscriber_uuid or email} not found",
            status=404,
        )
    return found


def find_campaign(
    campaign_uuid: str | None, campaign_id: int | None
) -> Campaign | None:
    if campaign_id:
        sql, param = CAMPAIGN_SQL.format("id = %s"), campaign_id
    elif campaign_uuid:
        try:
            key = uuidlib.UUID(str(campaign_uuid))
        except ValueError:
            return None
        sql, param = CAMPAIGN_SQL.format("uuid = %s"), _db_uuid(Campaign, key)
    else:
        return None
    return next(iter(Campaign.objects.raw(sql, [param])), None)


def record_bounce(
    data: NewBounce,
    *,
    check_enabled: bool = True,
    config: dict[str, Any] | None = None,
    key_checked: bool = False,
    savepoint: bool = True,
) -> RecordResult:
    """Store one bounce and apply its type's action, in one transaction.

    1. Refuse when bounce processing is off (BounceError, status 503).
    2. With an event key already stored, return that bounce: nothing new happens.
    3. Find the subscriber (404 if unknown) and lock its row, so two bounces
       for one subscriber are counted one after the other.
    4. Find the campaign; an unknown one does not refuse the bounce: its uuid
       is kept in meta.
    5. Store the bounce, then apply the threshold for its type.

    A mailbox scan records a whole batch in its own transaction and redoes the
    batch message by message when anything fails: it passes key_checked (it
    looked the event keys up in bulk) and savepoint=False (any error, even a
    duplicate stored meanwhile, is left to break its transaction).
    """
    if data.type not in BounceType.values:
        raise BounceError("type", "must be hard, soft or complaint")
    # A caller that already read the settings (the webhook checks its own switch) passes them.
    config = config or bounce_settings()
    if check_enabled and not config["bounce.enabled"]:
        raise BounceError("", "bounce processing is disabled", status=503)
    # A caller that looked its event keys up in bulk just before (a mailbox scan)
    # skips this query; a bounce stored meanwhile still ends in the IntegrityError path.
    if data.event_key and not key_checked:
        existing = Bounce.objects.filter(event_key=data.event_key).first()
        if existing:
            return RecordResult(bounce=existing, created=False)
    try:
        with transaction.atomic(savepoint=savepoint):
            return _record(data, config["bounce.actions"])
    except IntegrityError:
        if not savepoint:
            raise  # the caller's transaction is broken: it redoes its work
        # Another request stored the same event between our check and our insert.
        existing = (
            Bounce.objects.filter(event_key=data.event_key).first()
            if data.event_key
            else None
        )
        if existing is None:
            raise
        return RecordResult(bounce=existing, created=False)


def _record(data: NewBounce, rules: dict[str, Any]) -> RecordResult:
    # The lock serialises counting for one subscriber; a type whose action is none
    # counts nothing, so its bounces spare the row lock (a heap write on PostgreSQL).
    subscriber = find_subscriber(
        data.subscriber_uuid, data.email, lock=rules[data.type]["action"] != "none"
    )
    campaign = find_campaign(data.campaign_uuid, data.campaign_id)
    meta = dict(data.meta or {})
    if campaign is None and (data.campaign_uuid or data.campaign_id):
        meta.setdefault("unknown_campaign", data.campaign_uuid or data.campaign_id)
    now = timezone.now()
    bounce = Bounce.objects.create(
        subscriber=subscriber,
        campaign=campaign,
        type=data.type,
        source=data.source,
        meta=meta,
        created_at=data.created_at or now,
        recorded_at=now,
        email=(data.email or subscriber.email).strip(),
        event_key=data.event_key or None,
        provider_message_id=data.provider_message_id or "",
        status_code=data.status_code or "",
        reason=reason_or_default(data.reason, data.type),
        raw_message_id=data.raw_message_id,
    )
    hook_events.bounce_recorded(bounce, subscriber, campaign)
    action = apply_threshold(subscriber, data.type, rules, trigger="bounce")
    log.info(
        "bounce recorded: id=%s type=%s source=%s matched_by=%s subscriber=%s"
        " campaign=%s action=%s",
        bounce.id,
        bounce.type,
        bounce.source,
        "uuid" if data.subscriber_uuid else "email",
        subscriber.id,
        campaign.id if campaign else None,
        action.action if action else "none",
    )
    return RecordResult(bounce=bounce, created=True, actions=[action] if action else [])


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
                trace = apply_threshold(subscriber, btype, rules, trigger="reapply")
            if trace:
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
        trace.reason += f"; reverted on {now:%Y-%m-%d %H:%M} (false bounce)"
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
