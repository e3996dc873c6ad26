"""Thresholds: when a subscriber's bounces of one type reach the rule, act.

`apply_threshold` is called for each recorded bounce (bounces.services) and by
`reapply_thresholds`; bounces.bulk_thresholds does the same for a batch and
must stay in step with `_act` (tests/bounces/test_bulk_recording.py checks).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from bounces.models import Bounce, BounceAction
from stmails import event_hooks
from subscribers import hook_events as subscriber_hook_events
from subscribers.models import Subscriber, Subscription
from subscribers.services import blocklist_subscribers, unsubscribe_from_all

log = logging.getLogger(__name__)


def window_start(rule: dict[str, Any]) -> datetime | None:
    days = rule.get("window_days") or 0
    return timezone.now() - timedelta(days=days) if days else None


def apply_threshold(
    subscriber: Subscriber, btype: str, rules: dict[str, Any], *, trigger: str
) -> BounceAction | None:
    """Act on one subscriber for one bounce type when its count reaches the threshold.

    Idempotent: an action fires only for bounces newer than the last action of
    that type, and only when it changes something.
    """
    rule = rules[btype]
    if rule["action"] == "none":
        log.debug("bounce decision: no action (%s bounces: action none)", btype)
        return None
    if rule["action"] == BounceAction.Action.BLOCKLIST and subscriber.is_blocklisted:
        log.debug("bounce decision: no action (%s already blocklisted)", subscriber.id)
        return None  # nothing to change: spare the counting queries
    count, last, acted = _count_bounces(subscriber.id, btype, window_start(rule))
    if count < rule["count"]:
        log.debug(
            "bounce decision: no action (subscriber %s: %d %s bounce(s), threshold %d)",
            subscriber.id,
            count,
            btype,
            rule["count"],
        )
        return None
    if acted is not None and acted >= last:
        log.debug(
            "bounce decision: no action (subscriber %s: already acted on bounce %s)",
            subscriber.id,
            acted,
        )
        return None
    return _act(subscriber, btype, rule, count, last, trigger)


# Every counted bounce runs this, so it is one raw query (as SUBSCRIBER_SQL):
# the two ORM aggregates it replaces cost a round trip and most of the CPU of
# recording a hard bounce (bench/bench_scan_mailbox.py).
COUNT_SQL = (
    "SELECT COUNT(b.id), MAX(b.id), (SELECT MAX(a.last_bounce_id) FROM {actions} a"
    " WHERE a.subscriber_id = %s AND a.bounce_type = %s)"
    " FROM {bounces} b WHERE b.subscriber_id = %s AND b.type = %s{since}"
)


def _count_bounces(
    subscriber_id: int, btype: str, since: datetime | None
) -> tuple[int, int | None, int | None]:
    """(bounces of this type since, the newest one's id, the last acted-on bounce id)."""
    sql = COUNT_SQL.format(
        actions=BounceAction._meta.db_table,
        bounces=Bounce._meta.db_table,
        since=" AND b.created_at >= %s" if since else "",
    )
    params: list[Any] = [subscriber_id, btype, subscriber_id, btype]
    if since:
        params.append(connection.ops.adapt_datetimefield_value(since))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count, last, acted = cursor.fetchone()
    return count, last, acted


def _act(
    subscriber: Subscriber,
    btype: str,
    rule: dict[str, Any],
    count: int,
    last_id: int,
    trigger: str,
) -> BounceAction | None:
    action = rule["action"]
    window = (
        f" in the last {rule['window_days']} days" if rule.get("window_days") else ""
    )
    reason = (
        f"{count} {btype} bounce(s){window} reached the threshold of {rule['count']}"
    )
    deleted_bounces = 0
    # Remembered so that undoing a false bounce can put them back.
    previous_status = subscriber.status
    changed = {}
    if action in (BounceAction.Action.BLOCKLIST, BounceAction.Action.UNSUBSCRIBE):
        changed = {
            str(list_id): status
            for list_id, status in Subscription.objects.filter(
                subscriber_id=subscriber.id
            )
            .exclude(status=Subscription.Status.UNSUBSCRIBED)
            .values_list("list_id", "status")
        }
    if action == BounceAction.Action.BLOCKLIST:
        if subscriber.is_blocklisted:
            return None
        blocklist_subscribers([subscriber.id], reason=event_hooks.REASON_BOUNCES)
    elif action == BounceAction.Action.UNSUBSCRIBE:
        if not unsubscribe_from_all([subscriber.id], reason=event_hooks.REASON_BOUNCES):
            return None
    elif action == BounceAction.Action.DELETE:
        deleted_bounces = Bounce.objects.filter(subscriber=subscriber).count()
        reason += f"; the subscriber and its {deleted_bounces} bounce(s) were deleted"
    trace = BounceAction.objects.create(
        subscriber=subscriber,
        email=subscriber.email,
        action=action,
        bounce_type=btype,
        bounce_count=count,
        threshold=rule["count"],
        window_days=rule.get("window_days") or 0,
        last_bounce_id=last_id,
        trigger=trigger,
        reason=reason,
        deleted_bounces=deleted_bounces,
        previous_status=previous_status,
        changed_subscriptions=changed,
    )
    if action == BounceAction.Action.DELETE:
        subscriber_hook_events.deleting(
            [subscriber.id], reason=event_hooks.REASON_BOUNCES
        )
        subscriber.delete()
    log.info("bounce action: %s %s (%s)", action, subscriber.email, reason)
    return trace
