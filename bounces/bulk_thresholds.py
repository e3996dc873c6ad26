"""Thresholds for a batch of new bounces: counted in one query, acted on in bulk.

bounces.thresholds.apply_threshold costs about seven round trips per action
(count, memberships, status update, unsubscribe, trace, savepoints); a
provider batch that blocklists 60 subscribers paid 400 queries. Here the
common case (one blocklist or unsubscribe per subscriber) is a handful of
queries per batch, with the same outcome and the same trace as _act writes.
Everything else (a delete, two actions due for one subscriber in the same
batch) goes through apply_threshold one pair at a time, as record_bounce does.

Call inside the transaction that stored the bounces, with the subscribers
locked when an action can run (bulk_recording does both).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Max

from bounces.models import Bounce, BounceAction
from bounces.thresholds import apply_threshold, window_start
from stmails import event_hooks
from subscribers.models import Subscriber, Subscription
from subscribers.services import blocklist_subscribers, unsubscribe_from_all

log = logging.getLogger(__name__)
Action = BounceAction.Action
BULK_ACTIONS = (Action.BLOCKLIST, Action.UNSUBSCRIBE)


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

    Same rules as apply_threshold: nothing below the threshold, nothing when
    the newest bounce was already acted on, nothing when the action changes
    nothing (a blocklisted subscriber, memberships all unsubscribed already).
    """
    pairs = [
        (s, t)
        for s, t in pairs
        if rules[t]["action"] != "none"
        and not (rules[t]["action"] == Action.BLOCKLIST and s.is_blocklisted)
    ]
    if not pairs:
        return {}
    due = _due(pairs, rules)
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
        # Rare: a delete, or several actions for one subscriber in one batch;
        # one pair after the other gives the one-bounce-at-a-time outcome.
        subscriber_id = d.subscriber.id  # a delete action clears it
        trace = apply_threshold(d.subscriber, d.btype, rules, trigger=trigger)
        if trace is None:
            continue
        traces[(subscriber_id, d.btype)] = trace
        if trace.action == Action.DELETE:
            deleted.add(subscriber_id)
        elif trace.action == Action.BLOCKLIST:
            d.subscriber.status = Subscriber.Status.BLOCKLISTED
    return traces


def _due(pairs: list[tuple[Subscriber, str]], rules: dict[str, Any]) -> list[Due]:
    """The pairs at or past their threshold with a bounce newer than the last action."""
    by_type: dict[str, list[int]] = defaultdict(list)
    for subscriber, btype in pairs:
        by_type[btype].append(subscriber.id)
    wheres, params = [], []
    for btype, ids in sorted(by_type.items()):
        since = window_start(rules[btype])
        where = f"(type = %s AND subscriber_id IN ({', '.join(['%s'] * len(ids))})"
        params += [btype, *ids]
        if since:
            where += " AND created_at >= %s"
            params.append(connection.ops.adapt_datetimefield_value(since))
        wheres.append(where + ")")
    sql = (
        f"SELECT subscriber_id, type, COUNT(id), MAX(id) FROM {Bounce._meta.db_table}"  # noqa: S608 (placeholders only)
        f" WHERE {' OR '.join(wheres)} GROUP BY subscriber_id, type"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        counts = {(sid, btype): (n, last) for sid, btype, n, last in cursor.fetchall()}
    acted = {
        (row["subscriber_id"], row["bounce_type"]): row["acted"]
        for row in BounceAction.objects.filter(
            subscriber_id__in={s.id for s, _ in pairs}
        )
        .values("subscriber_id", "bounce_type")
        .annotate(acted=Max("last_bounce_id"))
    }
    due = []
    for subscriber, btype in pairs:
        count, last = counts.get((subscriber.id, btype), (0, None))
        if count < rules[btype]["count"]:
            continue
        previous = acted.get((subscriber.id, btype))
        if previous is not None and previous >= last:
            continue
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
    # The same fields and reason as bounces.thresholds._act.
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
