"""Event webhooks for subscriber changes (stmails.event_hooks.services).

The services call these inside their transaction and BEFORE they write, so
one query finds exactly the subscribers the change affects (not the ones
already blocklisted, not memberships already unsubscribed). With no endpoint
listening, each call costs one small query, and none for an empty id list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stmails.event_hooks import services as event_hooks
from subscribers.models import Subscriber, Subscription

# Ids per IN (...): well under SQLite's 32,766 variables.
CHUNK = 1000
FIELDS = ("id", "uuid", "email", "status")


def subscriber_data(row: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = {name: row[name] for name in FIELDS}
    data["uuid"] = str(data["uuid"])
    return {**data, **changes}


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def blocklisting(subscriber_ids: Iterable[int], *, reason: str) -> None:
    """subscriber.blocklisted for each of these not blocklisted yet."""
    ids = sorted(set(subscriber_ids))
    hooks = ids and event_hooks.listeners(event_hooks.SUBSCRIBER_BLOCKLISTED)
    if not hooks:
        return
    items = []
    for chunk in _chunks(ids):
        rows = (
            Subscriber.objects.filter(id__in=chunk)
            .exclude(status=Subscriber.Status.BLOCKLISTED)
            .order_by("id")
            .values(*FIELDS)
        )
        items += [
            {
                "subscriber": subscriber_data(
                    row, status=Subscriber.Status.BLOCKLISTED
                ),
                "reason": reason,
            }
            for row in rows
        ]
    event_hooks.emit(event_hooks.SUBSCRIBER_BLOCKLISTED, items, hook_ids=hooks)


def unsubscribing(
    subscriber_ids: Iterable[int],
    *,
    reason: str,
    list_ids: Iterable[int] | None = None,
) -> None:
    """subscriber.unsubscribed for each subscriber with a membership (of
    `list_ids`, or any) that is not unsubscribed yet, naming those lists."""
    ids = sorted(set(subscriber_ids))
    hooks = ids and event_hooks.listeners(event_hooks.SUBSCRIBER_UNSUBSCRIBED)
    if not hooks:
        return
    by_subscriber: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        memberships = Subscription.objects.filter(subscriber_id__in=chunk).exclude(
            status=Subscription.Status.UNSUBSCRIBED
        )
        if list_ids is not None:
            memberships = memberships.filter(list_id__in=list(list_ids))
        for m in memberships.order_by("subscriber_id", "list_id").values(
            *(f"subscriber__{name}" for name in FIELDS),
            "list_id",
            "list__uuid",
            "list__name",
        ):
            row = {name: m[f"subscriber__{name}"] for name in FIELDS}
            item = by_subscriber.setdefault(
                row["id"],
                {"subscriber": subscriber_data(row), "lists": [], "reason": reason},
            )
            item["lists"].append(
                {
                    "id": m["list_id"],
                    "uuid": str(m["list__uuid"]),
                    "name": m["list__name"],
                }
            )
    event_hooks.emit(
        event_hooks.SUBSCRIBER_UNSUBSCRIBED, by_subscriber.values(), hook_ids=hooks
    )


def deleting(subscriber_ids: Iterable[int], *, reason: str) -> None:
    """subscriber.deleted for each of these that exists."""
    ids = sorted(set(subscriber_ids))
    hooks = ids and event_hooks.listeners(event_hooks.SUBSCRIBER_DELETED)
    if not hooks:
        return
    items = []
    for chunk in _chunks(ids):
        rows = Subscriber.objects.filter(id__in=chunk).order_by("id").values(*FIELDS)
        items += [
            {"subscriber": subscriber_data(row), "reason": reason} for row in rows
        ]
    event_hooks.emit(event_hooks.SUBSCRIBER_DELETED, items, hook_ids=hooks)
