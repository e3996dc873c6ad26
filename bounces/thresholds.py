"""Thresholds: when a subscriber's bounces of one type reach the rule, act. One function.

`apply_thresholds` runs in the transaction that recorded a batch of bounces
(bounces.recording: once per (subscriber, type) pair the batch touched, a
single bounce being a batch of one) and for `reapply_thresholds`. Counted in
one query; the common actions (one blocklist or unsubscribe per subscriber)
are done in bulk, the rest (a delete, two actions due for one subscriber)
one pair after the other, which gives the one-bounce-at-a-time outcome.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from bounces.models import Bounce, BounceAction
from stmails.event_hooks import services as event_hooks
from subscribers import hook_events as subscriber_hook_events
from subscribers.models import Subscriber, Subscription
from subscribers.services import blocklist_subscribers, unsubscribe_from_all

log = logging.getLogger(__name__)
Action = BounceAction.Action
BULK_ACTIONS = (Action.BLOCKLIST, Action.UNSUBSCRIBE)


def window_start(rule: dict[str, Any]) -> datetime | None:
    days = rule.get("window_days") or 0
    return timezone.now() - timedelta(days=days) if days else None


@dataclass
class Due:
    subscriber: Subscriber
    btype: str
    count: int
    last_id: int


def apply_thresholds(
    pairs: list[tuple[Subscriber, str]], rules: dict[str, Any], *, trigger: str
) -> dict[tuple[int, str], BounceAction]:
    """Apply each (subscriber, type) pair's rule once; returns the traces written.

    Idempotent: nothing below the threshold, nothing when the newest bounce was
    already acted on (an admin who lifts a blocklist is not overruled), nothing
    when the action changes nothing (a blocklisted subscriber, memberships all
    unsubscribed already). Call with the subscribers locked when one can act.
    """
    acting = []
    for subscriber, btype in pairs:
        action = rules[btype]["action"]
        if action == "none":
            log.debug("bounce decision: no action (%s bounces: action none)", btype)
        elif action == Action.BLOCKLIST and subscriber.is_blocklisted:
            log.debug(
                "bounce decision: no action (%s already blocklisted)", subscriber.id
            )
        else:
            acting.append((subscriber, btype))
    if not acting:
        return {}
    due = _due(acting, rules)
    per_subscriber = Counter(d.subscriber.id for d in due)
    bulk = [
        d
        for d in due
        if per_subscriber[d.subscriber.id] == 1
        and rules[d.btype]["action"] in BULK_ACTIONS
    ]
    traces = _act_in_bulk(bulk, rules, trigger=trigger)
    done = {(d.subscriber.id, d.btype) for d in bulk}
    deleted: set[int] = set()
    for d in due:
        if (d.subscriber.id, d.btype) in done or d.subscriber.id in deleted:
            continue
        # Rare: a delete, or several actions for one subscriber in one batch:
        # counted again, as the previous pair may have changed the state.
        subscriber_id = d.subscriber.id  # a delete action clears it
        again = _due([(d.subscriber, d.btype)], rules)
        if not again or (
            rules[d.btype]["action"] == Action.BLOCKLIST and d.subscriber.is_blocklisted
        ):
            continue
        trace = _act(again[0], rules[d.btype], trigger)
        if trace is None:
            continue
        traces[(subscriber_id, d.btype)] = trace
        if trace.action == Action.DELETE:
            deleted.add(subscriber_id)
        elif trace.action == Action.BLOCKLIST:
            d.subscriber.status = Subscriber.Status.BLOCKLISTED
    return traces


# One raw query for a whole batch: the ORM aggregates it replaces cost a round
# trip and most of the CPU of recording a bounce (bench/bench_scan_mailbox.py).
COUNT_SQL = (
    "SELECT b.subscriber_id, b.type, COUNT(b.id), MAX(b.id),"
    " (SELECT MAX(a.last_bounce_id) FROM {actions} a"
    " WHERE a.subscriber_id = b.subscriber_id AND a.bounce_type = b.type)"
    " FROM {bounces} b WHERE {where} GROUP BY b.subscriber_id, b.type"
)


def _due(pairs: list[tuple[Subscriber, str]], rules: dict[str, Any]) -> list[Due]:
    """The pairs at or past their threshold with a bounce newer than the last action."""
    by_type: dict[str, list[int]] = defaultdict(list)
    for subscriber, btype in pairs:
        by_type[btype].append(subscriber.id)
    wheres, params = [], []
    for btype, ids in sorted(by_type.items()):
        since = window_start(rules[btype])
        where = f"(b.type = %s AND b.subscriber_id IN ({', '.join(['%s'] * len(ids))})"
        params += [btype, *ids]
        if since:
            where += " AND b.created_at >= %s"
            params.append(connection.ops.adapt_datetimefield_value(since))
        wheres.append(where + ")")
    sql = COUNT_SQL.format(
        actions=BounceAction._meta.db_table,
        bounces=Bounce._meta.db_table,
        where=" OR ".join(wheres),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        counts = {
            (s, t): (n, last, acted) for s, t, n, last, acted in cursor.fetchall()
        }
    due = []
    for subscriber, btype in pairs:
        count, last, acted = counts.get((subscriber.id, btype), (0, None, None))
        threshold = rules[btype]["count"]
        if count < threshold:
            log.debug(
                "bounce decision: no action (subscriber %s: %d %s bounce(s),"
                " threshold %d)",
                subscriber.id,
                count,
                btype,
                threshold,
            )
        elif acted is not None and acted >= last:
            log.debug(
                "bounce decision: no action (subscriber %s: already acted on bounce %s)",
                subscriber.id,
                acted,
            )
        else:
            due.append(Due(subscriber, btype, count, last))
    return due


def _act_in_bulk(
    due: list[Due], rules: dict[str, Any], *, trigger: str
) -> dict[tuple[int, str], BounceAction]:
    """Blocklist or unsubscribe many subscribers at once; one trace each (as _act)."""
    if not due:
        return {}
    memberships: dict[int, dict[str, str]] = defaultdict(dict)
    for subscriber_id, list_id, status in (
        Subscription.objects.filter(subscriber_id__in=[d.subscriber.id for d in due])
        .exclude(status=Subscription.Status.UNSUBSCRIBED)
        .values_list("subscriber_id", "list_id", "status")
    ):
        memberships[subscriber_id][str(list_id)] = status
    # An unsubscribe that changes no membership writes no trace (as _act).
    acting = [
        d
        for d in due
        if rules[d.btype]["action"] == Action.BLOCKLIST or memberships[d.subscriber.id]
    ]
    block = [
        d.subscriber.id for d in acting if rules[d.btype]["action"] == Action.BLOCKLIST
    ]
    unsubscribe = [
        d.subscriber.id for d in acting if rules[d.btype]["action"] != Action.BLOCKLIST
    ]
    if block:
        blocklist_subscribers(block, reason=event_hooks.REASON_BOUNCES)
    if unsubscribe:
        unsubscribe_from_all(unsubscribe, reason=event_hooks.REASON_BOUNCES)
    traces = [
        _trace(d, rules[d.btype], memberships[d.subscriber.id], trigger) for d in acting
    ]
    BounceAction.objects.bulk_create(traces)
    for d, trace in zip(acting, traces, strict=True):
        log.info("bounce action: %s %s (%s)", trace.action, trace.email, trace.reason)
        if trace.action == Action.BLOCKLIST:
            d.subscriber.status = Subscriber.Status.BLOCKLISTED
    return {(d.subscriber.id, d.btype): t for d, t in zip(acting, traces, strict=True)}


def _trace(
    d: Due, rule: dict[str, Any], changed: dict[str, str], trigger: str
) -> BounceAction:
    window = (
        f" in the last {rule['window_days']} days" if rule.get("window_days") else ""
    )
    return BounceAction(
        subscriber=d.subscriber,
        email=d.subscriber.email,
        action=rule["action"],
        bounce_type=d.btype,
        bounce_count=d.count,
        threshold=rule["count"],
        window_days=rule.get("window_days") or 0,
        last_bounce_id=d.last_id,
        trigger=trigger,
        reason=f"{d.count} {d.btype} bounce(s){window} reached the threshold of {rule['count']}",
        deleted_bounces=0,
        previous_status=d.subscriber.status,
        changed_subscriptions=changed,
    )


def _act(d: Due, rule: dict[str, Any], trigger: str) -> BounceAction | None:
    """One pair's action, whatever it is, with the same trace as the bulk path."""
    subscriber, action = d.subscriber, rule["action"]
    changed: dict[str, str] = {}
    if action in BULK_ACTIONS:
        # Remembered so that undoing a false bounce can put them back.
        changed = {
            str(list_id): status
            for list_id, status in Subscription.objects.filter(
                subscriber_id=subscriber.id
            )
            .exclude(status=Subscription.Status.UNSUBSCRIBED)
            .values_list("list_id", "status")
        }
    trace = _trace(d, rule, changed, trigger)
    if action == Action.BLOCKLIST:
        if subscriber.is_blocklisted:
            return None
        blocklist_subscribers([subscriber.id], reason=event_hooks.REASON_BOUNCES)
    elif action == Action.UNSUBSCRIBE:
        if not unsubscribe_from_all([subscriber.id], reason=event_hooks.REASON_BOUNCES):
            return None
    elif action == Action.DELETE:
        trace.deleted_bounces = Bounce.objects.filter(subscriber=subscriber).count()
        trace.reason += (
            f"; the subscriber and its {trace.deleted_bounces} bounce(s) were deleted"
        )
    trace.save()
    if action == Action.DELETE:
        subscriber_hook_events.deleting(
            [subscriber.id], reason=event_hooks.REASON_BOUNCES
        )
        subscriber.delete()
    log.info("bounce action: %s %s (%s)", action, subscriber.email, trace.reason)
    return trace
