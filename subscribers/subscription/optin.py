"""Double opt-in, unsubscribe and preferences: the subscriber's side of the lists.

Subscribing and confirming live here; the confirmation mail itself (who waits
for it, building and queueing it) is confirmation.py.
"""

from __future__ import annotations

import logging
import uuid as uuidlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from stmails.event_hooks import services as event_hooks
from subscribers import hook_events
from subscribers.links import read_optin_token
from subscribers.models import MailingList, Subscriber, Subscription
from subscribers.subscription.confirmation import (
    RECONFIRM,
    pending_double_optin,
    queue_confirmation,
    send_optin_confirmation,
)
from subscribers.validation import (
    SubscriberError,
    clean_name,
    validate_subscriber_email,
)

log = logging.getLogger(__name__)

MAX_PUBLIC_LISTS = 50


# --- confirming ----------------------------------------------------------------------


@dataclass
class ConfirmResult:
    subscriber: Subscriber
    confirmed: list[MailingList] = field(default_factory=list)


@transaction.atomic
def confirm_optin(token: str) -> ConfirmResult:
    """Confirm every pending double opt-in list of the link's subscriber.

    Raises TokenError for a forged or expired link. Confirming twice is
    harmless: the second time confirms nothing.
    """
    subscriber = read_optin_token(token)
    result = ConfirmResult(subscriber)
    if subscriber.is_blocklisted:
        return result
    pending = list(pending_double_optin(subscriber).select_for_update())
    now = timezone.now()
    for sub in pending:
        sub.status = Subscription.Status.CONFIRMED
        meta = {k: v for k, v in sub.meta.items() if k != RECONFIRM}
        sub.meta = {**meta, "confirmed_at": now.isoformat()}
        sub.save(update_fields=["status", "meta", "updated_at"])
        result.confirmed.append(sub.list)
    return result


# --- unsubscribe and preferences ---------------------------------------------------------


@transaction.atomic
def unsubscribe(subscriber: Subscriber, list_ids: Iterable[int] | None = None) -> int:
    """Unsubscribe from the given lists, or from all when None. Returns rows changed."""
    qs = Subscription.objects.filter(subscriber=subscriber).exclude(
        status=Subscription.Status.UNSUBSCRIBED
    )
    if list_ids is not None:
        list_ids = list(list_ids)
        qs = qs.filter(list_id__in=list_ids)
    hook_events.unsubscribing(
        [subscriber.pk], list_ids=list_ids, reason=event_hooks.REASON_SUBSCRIBER
    )
    return qs.update(status=Subscription.Status.UNSUBSCRIBED, updated_at=timezone.now())


def preference_lists(subscriber: Subscriber) -> list[tuple[MailingList, str | None]]:
    """Lists the preferences page offers: public ones and the subscriber's own,
    each with the subscriber's status on it (None when not a member)."""
    status = dict(
        Subscription.objects.filter(subscriber=subscriber).values_list(
            "list_id", "status"
        )
    )
    lists = MailingList.objects.filter(
        Q(type=MailingList.Type.PUBLIC, status=MailingList.Status.ACTIVE)
        | Q(id__in=list(status))
    ).order_by("name", "id")
    return [(lst, status.get(lst.id)) for lst in lists]


@dataclass
class PreferencesResult:
    unsubscribed: int = 0
    subscribed: list[MailingList] = field(default_factory=list)
    mail: Any = None


@transaction.atomic
def update_preferences(
    subscriber: Subscriber, list_ids: Iterable[int]
) -> PreferencesResult:
    """Keep the subscriber on exactly `list_ids` among the lists offered.

    Unticked lists are unsubscribed; newly ticked public lists are subscribed
    (double opt-in ones wait for confirmation, and a mail is queued). Ids of
    lists not offered (private lists the subscriber is not on) are ignored.
    """
    wanted = set(list_ids)
    result = PreferencesResult()
    active = {
        lst.id: lst
        for lst, status in preference_lists(subscriber)
        if status in (Subscription.Status.CONFIRMED, Subscription.Status.UNCONFIRMED)
    }
    result.unsubscribed = unsubscribe(subscriber, set(active) - wanted)
    if subscriber.is_blocklisted:
        return result
    offered = {lst.id: lst for lst, _ in preference_lists(subscriber)}
    joining = [
        offered[i]
        for i in sorted(wanted - set(active))
        if i in offered and offered[i].is_offered_publicly
    ]
    if joining:
        _join(subscriber, joining)
        result.subscribed = joining
        result.mail = send_optin_confirmation(subscriber, joining)
    return result


def _join(
    subscriber: Subscriber,
    lists: list[MailingList],
    *,
    meta: dict[str, Any] | None = None,
    is_new: bool = False,
    reconfirm: bool = False,
) -> dict[int, str]:
    """Subscribe (again) to lists the subscriber is not active on: single opt-in
    ones confirmed, double opt-in ones unconfirmed. Confirmed and pending
    memberships are left alone. Returns each list's status afterwards; the
    caller sends any confirmation. `is_new` skips the look-up of memberships
    (the public API's hot path). With `reconfirm` (a request nobody
    authenticated), an unsubscribed membership of a single opt-in list stays
    unsubscribed and is flagged RECONFIRM: only the confirmation link restores it."""
    current: dict[int, str] = {}
    if not is_new:
        memberships = Subscription.objects.filter(subscriber=subscriber, list__in=lists)
        current = dict(memberships.values_list("list_id", "status"))
    after = dict(current)
    create: list[Subscription] = []
    again: dict[str, list[int]] = {}
    flagged: list[int] = []
    for lst in lists:
        single = lst.optin == MailingList.Optin.SINGLE
        wanted = (
            Subscription.Status.CONFIRMED if single else Subscription.Status.UNCONFIRMED
        )
        old = current.get(lst.id)
        if reconfirm and single and old == Subscription.Status.UNSUBSCRIBED:
            flagged.append(lst.id)
            continue
        if old is None:
            create.append(
                Subscription(
                    subscriber=subscriber, list=lst, status=wanted, meta=meta or {}
                )
            )
        # A single opt-in list someone left unconfirmed: asking is confirming.
        elif old == Subscription.Status.UNSUBSCRIBED or (
            old == Subscription.Status.UNCONFIRMED and single
        ):
            again.setdefault(wanted, []).append(lst.id)
        else:
            continue
        after[lst.id] = wanted
    if create:
        Subscription.objects.bulk_create(create)
    if flagged:
        Subscription.objects.filter(subscriber=subscriber, list_id__in=flagged).update(
            meta={**(meta or {}), RECONFIRM: True}, updated_at=timezone.now()
        )
    for status, list_ids in again.items():
        fields: dict[str, Any] = {"status": status, "updated_at": timezone.now()}
        if meta:
            fields["meta"] = meta
        Subscription.objects.filter(subscriber=subscriber, list_id__in=list_ids).update(
            **fields
        )
    return after


# --- the public subscription form and API -------------------------------------------------


@dataclass
class SubscribeResult:
    confirmed: list[MailingList] = field(default_factory=list)
    pending: list[MailingList] = field(default_factory=list)
    mail: Any = None


def public_lists() -> QuerySet[MailingList]:
    return MailingList.objects.filter(
        type=MailingList.Type.PUBLIC, status=MailingList.Status.ACTIVE
    ).order_by("name", "id")


def find_public_lists(list_uuids: Any, field: str = "list_uuids") -> list[MailingList]:
    """Public lists by uuid; a private or unknown uuid is bad input, named."""
    if isinstance(list_uuids, str):
        list_uuids = [list_uuids]
    if not isinstance(list_uuids, list) or not list_uuids:
        raise SubscriberError(field, "choose at least one list")
    if len(list_uuids) > MAX_PUBLIC_LISTS:
        raise SubscriberError(field, f"at most {MAX_PUBLIC_LISTS} lists")
    uuids = []
    for raw in list_uuids:
        try:
            uuids.append(uuidlib.UUID(str(raw)))
        except ValueError:
            raise SubscriberError(field, f"invalid list id {raw!r}") from None
    found = {lst.uuid: lst for lst in public_lists().filter(uuid__in=uuids)}
    for uuid in uuids:
        if uuid not in found:
            raise SubscriberError(field, f"unknown list {uuid}")
    return [found[u] for u in dict.fromkeys(uuids)]


def _insert_new(email: str, name: str) -> Subscriber | None:
    """INSERT ... ON CONFLICT DO NOTHING; None when the address exists.

    Most public subscriptions are new addresses: one round trip, where a look-up
    and a create in a savepoint (to survive a concurrent insert) took four.
    Valid on PostgreSQL and SQLite; the conflict is the lower(email) index.
    """
    subscriber = Subscriber(email=email, name=name)
    subscriber.created_at = subscriber.updated_at = timezone.now()
    fields = [f for f in Subscriber._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = [
        f.get_db_prep_save(getattr(subscriber, f.attname), connection) for f in fields
    ]
    placeholders = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO subscribers ({columns}) VALUES ({placeholders})"  # noqa: S608 (names from the model)
        " ON CONFLICT DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return None
    subscriber.pk = row[0]
    subscriber._state.adding = False
    subscriber._state.db = connection.alias
    return subscriber


def _find_or_create(email: str, name: str) -> tuple[Subscriber, bool]:
    subscriber = _insert_new(email, name)
    if subscriber is not None:
        return subscriber, True
    subscriber = (
        Subscriber.objects.annotate(lemail=Lower("email"))
        .filter(lemail=email.lower())
        .first()
    )
    if subscriber is None:
        # Deleted between the two statements.
        raise SubscriberError("email", "please try again", status=409)
    return subscriber, False


@transaction.atomic
def public_subscribe(
    *, email: Any, name: Any = "", list_uuids: Any, ip: str = ""
) -> SubscribeResult:
    """Subscribe an address from the public form or API.

    1. Validate: SubscriberError names the field (email, name, list_uuids).
    2. Find the subscriber by address, or create it. An existing subscriber's
       name is not changed: anyone can post any address.
    3. Single opt-in lists confirm at once; double opt-in lists become (or stay)
       unconfirmed. Confirmed memberships are left alone; unsubscribed ones
       subscribe again, but only by mail: an unsubscribed membership of a
       single opt-in list waits for the confirmation link too (consent).
    4. Queue one confirmation mail when a double opt-in list is pending (again,
       for an address that asks again: its first mail may be lost; the per
       address rate limit caps this).
    A blocklisted address gets the same answer and nothing changes, so the
    form does not reveal who is blocklisted.
    """
    email = validate_subscriber_email(email)
    name = clean_name(name, email)
    lists = find_public_lists(list_uuids)
    subscriber, created = _find_or_create(email, name)
    result = SubscribeResult()
    if subscriber.is_blocklisted:
        log.info("public subscription of blocklisted subscriber %s", subscriber.pk)
        return result
    # Consent evidence, as listmonk's optin_ip: who asked, from where.
    meta = {"optin_ip": ip} if ip else None
    status = _join(subscriber, lists, meta=meta, is_new=created, reconfirm=True)
    for lst in lists:
        if status[lst.id] == Subscription.Status.CONFIRMED:
            result.confirmed.append(lst)
        elif status[lst.id] == Subscription.Status.UNCONFIRMED:
            if lst.optin == MailingList.Optin.DOUBLE:
                result.pending.append(lst)
        elif status[lst.id] == Subscription.Status.UNSUBSCRIBED:
            result.pending.append(lst)  # flagged RECONFIRM by _join
    if result.pending and created:
        # A new subscriber's pending lists are known: no need to look them up.
        result.mail = queue_confirmation(subscriber, result.pending)
    elif result.pending:
        result.mail = send_optin_confirmation(subscriber, result.pending)
    return result
