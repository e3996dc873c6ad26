"""Bulk actions from the subscribers page: on the checked rows, or on every
subscriber matching the page's filter ("Select all N matching")."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from subscribers import services
from subscribers.models import MailingList
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
