"""Bulk actions from the subscribers page: on the checked rows, or on every
subscriber matching the page's filter ("Select all N matching")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from subscribers import services
from subscribers.models import MailingList, Subscriber
from subscribers.queries import filter_subscribers
from subscribers.services import SubscriberError

LIST_ACTIONS = ("add", "remove", "unsubscribe")
CHUNK = 1000


def matching_ids(params: dict[str, Any]) -> list[int]:
    """Ids of every subscriber the filter matches (a SubscriberError if it is bad)."""
    return list(filter_subscribers(params).order_by("id").values_list("id", flat=True))


def apply(action: str, ids: list[int], lst: MailingList | None) -> int:
    if action == "blocklist":
        return services.blocklist_subscribers(ids)
    if action == "delete":
        return services.delete_subscribers(ids)
    if action in LIST_ACTIONS and lst is not None:
        return services.change_memberships(
            subscriber_ids=ids, action=action, list_ids=[lst.pk]
        )
    raise SubscriberError("action", "unknown bulk action")


@transaction.atomic
def apply_to_matching(
    action: str,
    params: dict[str, Any],
    lst: MailingList | None,
    *,
    expected: int,
) -> int:
    """One transaction over every match. `expected` is the count the admin
    confirmed: if the filter now matches a different number (someone subscribed
    or was deleted meanwhile), nothing changes and the error says so."""
    ids = matching_ids(params)
    if len(ids) != expected:
        raise SubscriberError(
            "expected",
            f"The filter now matches {len(ids)} subscriber(s), not {expected}: "
            "nothing was changed. Review the list and try again.",
        )
    # Chunks keep each IN (...) well under SQLite's variable limit; the
    # transaction around them keeps the whole change all-or-nothing.
    return sum(
        apply(action, ids[start : start + CHUNK], lst)
        for start in range(0, len(ids), CHUNK)
    )


# --- listmonk's query routes: /api/subscribers/query/{delete,blocklist,lists} --------


@dataclass(frozen=True)
class Selection:
    """Which subscribers a query route acts on (listmonk's subQueryReq): `query`
    and `search` narrow, `list_ids` (with `subscription_status`) restrict to
    members, `everyone` (listmonk's "all") drops query and search."""

    query: str = ""
    search: str = ""
    list_ids: tuple[int, ...] = ()
    subscription_status: str = ""
    everyone: bool = False


def selected(selection: Selection, *, now: datetime) -> QuerySet[Subscriber]:
    params: dict[str, Any] = {
        "list_id": list(selection.list_ids),
        "subscription_status": selection.subscription_status or None,
    }
    if not selection.everyone:
        params["query"] = selection.query
        params["search"] = selection.search
    if selection.list_ids:
        services.find_lists(selection.list_ids, field="list_ids")
    try:
        return filter_subscribers(params, now=now)
    except SubscriberError as err:
        if err.field in ("list_id", "subscription_status"):
            field = "list_ids" if err.field == "list_id" else err.field
            raise SubscriberError(field, err.message) from None
        raise


def _in_batches(qs: QuerySet[Subscriber], act: Callable[[list[int]], int]) -> int:
    """`act` on the matches CHUNK ids at a time, walking the primary key: memory
    and each statement stay bounded whatever the number of matches, and rows a
    batch changes (or deletes) cannot be visited twice."""
    done, last = 0, 0
    while True:
        ids = list(
            qs.filter(id__gt=last).order_by("id").values_list("id", flat=True)[:CHUNK]
        )
        if not ids:
            return done
        done += act(ids)
        last = ids[-1]


def _require_selection(selection: Selection) -> None:
    if not (selection.everyone or selection.query.strip() or selection.search.strip()):
        raise SubscriberError("query", 'a query is required (or "all": true)')


@transaction.atomic
def delete_by_query(selection: Selection, *, now: datetime) -> int:
    """Delete every match, in one transaction. Returns how many."""
    _require_selection(selection)
    return _in_batches(selected(selection, now=now), services.delete_subscribers)


@transaction.atomic
def blocklist_by_query(selection: Selection, *, now: datetime) -> int:
    """Blocklist (and unsubscribe from every list) every match, in one transaction."""
    _require_selection(selection)
    return _in_batches(selected(selection, now=now), services.blocklist_subscribers)


@transaction.atomic
def change_lists_by_query(
    selection: Selection,
    *,
    action: str,
    target_list_ids: list[Any],
    status: str | None,
    now: datetime,
) -> int:
    """listmonk's PUT /api/subscribers/query/lists: add, remove or unsubscribe
    every match on the target lists (an empty query selects everyone, as in
    listmonk). Same rules as change_memberships, which each batch goes through."""
    if action not in LIST_ACTIONS:
        raise SubscriberError("action", "must be add, remove or unsubscribe")
    if not target_list_ids:
        raise SubscriberError("target_list_ids", "at least one list is required")
    services.find_lists(target_list_ids, field="target_list_ids")
    return _in_batches(
        selected(selection, now=now),
        lambda ids: services.change_memberships(
            subscriber_ids=ids,
            action=action,
            list_ids=target_list_ids,
            status=status,
        ),
    )
