"""Every write to subscribers, lists and memberships, from the UI, the API and imports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from stmails.event_hooks import services as event_hooks
from subscribers import hook_events
from subscribers.models import MailingList, Subscriber, Subscription
from subscribers.subscription.confirmation import send_optin_confirmation
from subscribers.validation import (
    SubscriberError,
    clean_attribs,
    clean_name,
    clean_status,
    validate_subscriber_email,
)


def find_lists(list_ids: Iterable[Any], field: str = "lists") -> list[MailingList]:
    ids = []
    for raw in list_ids:
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            raise SubscriberError(field, f"invalid list id {raw!r}") from None
    found = {lst.id: lst for lst in MailingList.objects.filter(id__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise SubscriberError(field, f"unknown list id {missing[0]}", status=404)
    return [found[i] for i in dict.fromkeys(ids)]


def email_taken(email: str, exclude_id: int | None = None) -> bool:
    qs = Subscriber.objects.annotate(lemail=Lower("email")).filter(lemail=email.lower())
    if exclude_id:
        qs = qs.exclude(id=exclude_id)
    return qs.exists()


def _initial_status(lst: MailingList, preconfirm: bool) -> str:
    if lst.optin == MailingList.Optin.DOUBLE and not preconfirm:
        return Subscription.Status.UNCONFIRMED
    return Subscription.Status.CONFIRMED


def subscribe_to_lists(
    subscriber: Subscriber,
    lists: Iterable[MailingList],
    *,
    status: str | None = None,
    preconfirm: bool = False,
    resubscribe: bool = False,
) -> list[Subscription]:
    """Add memberships; existing ones keep their status unless resubscribe=True.

    Returns the memberships that are newly unconfirmed (awaiting double opt-in).
    Newly pending double opt-in lists get a confirmation mail (this is the path
    of the UI and the API), also for an existing subscriber (unlike listmonk,
    #1257 and #1441).
    """
    pending = []
    existing = {
        s.list_id: s for s in Subscription.objects.filter(subscriber=subscriber)
    }
    for lst in lists:
        wanted = status or _initial_status(lst, preconfirm)
        sub = existing.get(lst.id)
        if sub is None:
            sub = Subscription.objects.create(
                subscriber=subscriber, list=lst, status=wanted
            )
        elif resubscribe and sub.status != wanted:
            sub.status = wanted
            sub.save(update_fields=["status", "updated_at"])
        else:
            continue
        if sub.status == Subscription.Status.UNCONFIRMED:
            pending.append(sub)
    if pending and not subscriber.is_blocklisted:
        send_optin_confirmation(subscriber, [sub.list for sub in pending])
    return pending


@transaction.atomic
def create_subscriber(
    *,
    email: Any,
    name: Any = "",
    status: Any = None,
    attribs: Any = None,
    list_ids: Iterable[Any] = (),
    preconfirm: bool = False,
) -> Subscriber:
    email = validate_subscriber_email(email)
    name = clean_name(name, email)
    attribs = clean_attribs(attribs)
    status = clean_status(status)
    lists = find_lists(list_ids)
    if email_taken(email):
        raise SubscriberError("email", f"{email} is already subscribed", status=409)
    try:
        with transaction.atomic():
            subscriber = Subscriber.objects.create(
                email=email, name=name, attribs=attribs, status=status
            )
    except IntegrityError:
        raise SubscriberError(
            "email", f"{email} is already subscribed", status=409
        ) from None
    if status == Subscriber.Status.BLOCKLISTED:
        subscribe_to_lists(subscriber, lists, status=Subscription.Status.UNSUBSCRIBED)
    else:
        subscribe_to_lists(subscriber, lists, preconfirm=preconfirm)
    return subscriber


@transaction.atomic
def update_subscriber(
    subscriber: Subscriber,
    *,
    email: Any = None,
    name: Any = None,
    status: Any = None,
    attribs: Any = None,
    list_ids: Iterable[Any] | None = None,
    preconfirm: bool = False,
) -> Subscriber:
    """Change the given fields; `list_ids`, when given, becomes the full set of lists."""
    if email is not None:
        email = validate_subscriber_email(email)
        if email_taken(email, exclude_id=subscriber.id):
            raise SubscriberError("email", f"{email} is already subscribed", status=409)
        subscriber.email = email
    if name is not None:
        subscriber.name = clean_name(name, subscriber.email)
    if attribs is not None:
        subscriber.attribs = clean_attribs(attribs)
    if status is not None:
        subscriber.status = clean_status(status)
    lists = find_lists(list_ids) if list_ids is not None else None
    if subscriber.status == Subscriber.Status.BLOCKLISTED:
        # Before the save: it reads whether the stored row was blocklisted already.
        hook_events.blocklisting([subscriber.id], reason=event_hooks.REASON_ADMIN)
    subscriber.save()
    if lists is not None:
        keep = {lst.id for lst in lists}
        Subscription.objects.filter(subscriber=subscriber).exclude(
            list_id__in=keep
        ).delete()
        subscribe_to_lists(subscriber, lists, preconfirm=preconfirm)
    if subscriber.status == Subscriber.Status.BLOCKLISTED:
        _unsubscribe_all([subscriber.id])
    return subscriber


def _unsubscribe_all(subscriber_ids: Iterable[int]) -> int:
    return (
        Subscription.objects.filter(subscriber_id__in=list(subscriber_ids))
        .exclude(status=Subscription.Status.UNSUBSCRIBED)
        .update(status=Subscription.Status.UNSUBSCRIBED, updated_at=timezone.now())
    )


@transaction.atomic
def blocklist_subscribers(
    subscriber_ids: Iterable[int], *, reason: str = event_hooks.REASON_ADMIN
) -> int:
    """Blocklist and unsubscribe from every list, as listmonk's manual blocklist."""
    ids = list(subscriber_ids)
    hook_events.blocklisting(ids, reason=reason)
    count = Subscriber.objects.filter(id__in=ids).update(
        status=Subscriber.Status.BLOCKLISTED, updated_at=timezone.now()
    )
    _unsubscribe_all(ids)
    return count


@transaction.atomic
def unsubscribe_from_all(
    subscriber_ids: Iterable[int], *, reason: str = event_hooks.REASON_ADMIN
) -> int:
    ids = list(subscriber_ids)
    hook_events.unsubscribing(ids, reason=reason)
    return _unsubscribe_all(ids)


@transaction.atomic
def delete_subscribers(
    subscriber_ids: Iterable[int], *, reason: str = event_hooks.REASON_ADMIN
) -> int:
    ids = list(subscriber_ids)
    hook_events.deleting(ids, reason=reason)
    _, per_model = Subscriber.objects.filter(id__in=ids).delete()
    return per_model.get(Subscriber._meta.label, 0)


@transaction.atomic
def change_memberships(
    *,
    subscriber_ids: Iterable[Any],
    action: str,
    list_ids: Iterable[Any],
    status: str | None = None,
) -> int:
    """listmonk's PUT /api/subscribers/lists: add, remove or unsubscribe in bulk."""
    if action not in ("add", "remove", "unsubscribe"):
        raise SubscriberError("action", "must be add, remove or unsubscribe")
    if status not in (None, "", *Subscription.Status.values):
        raise SubscriberError(
            "status", f"must be one of {', '.join(Subscription.Status.values)}"
        )
    lists = find_lists(list_ids, field="target_list_ids")
    if not lists:
        raise SubscriberError("target_list_ids", "at least one list is required")
    ids = []
    for raw in subscriber_ids:
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            raise SubscriberError("ids", f"invalid subscriber id {raw!r}") from None
    subscribers = list(Subscriber.objects.filter(id__in=ids))
    if len(subscribers) != len(set(ids)):
        raise SubscriberError("ids", "one or more subscribers do not exist", status=404)
    list_pks = [lst.id for lst in lists]
    if action == "remove":
        Subscription.objects.filter(
            subscriber_id__in=ids, list_id__in=list_pks
        ).delete()
    elif action == "unsubscribe":
        hook_events.unsubscribing(
            ids, list_ids=list_pks, reason=event_hooks.REASON_ADMIN
        )
        Subscription.objects.filter(subscriber_id__in=ids, list_id__in=list_pks).update(
            status=Subscription.Status.UNSUBSCRIBED, updated_at=timezone.now()
        )
    else:
        for subscriber in subscribers:
            if subscriber.is_blocklisted:
                continue
            subscribe_to_lists(
                subscriber, lists, status=status or None, resubscribe=bool(status)
            )
    return len(subscribers)


# --- lists ----------------------------------------------------------------------


def _clean_list_fields(data: dict[str, Any], partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in data or not partial:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise SubscriberError("name", "a list name is required")
        if len(name.strip()) > 200:
            raise SubscriberError("name", "must be at most 200 characters")
        out["name"] = name.strip()
    for fname, choices, default in (
        ("type", MailingList.Type.values, MailingList.Type.PRIVATE),
        ("optin", MailingList.Optin.values, MailingList.Optin.SINGLE),
        ("status", MailingList.Status.values, MailingList.Status.ACTIVE),
    ):
        if fname in data or not partial:
            value = data.get(fname) or default
            if value not in choices:
                raise SubscriberError(fname, f"must be one of {', '.join(choices)}")
            out[fname] = value
    if "tags" in data or not partial:
        tags = data.get("tags") or []
        if isinstance(tags, str):
            tags = [t.strip() for t in tags.split(",") if t.strip()]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise SubscriberError("tags", "must be a list of strings")
        out["tags"] = [t.strip() for t in tags if t.strip()]
    if "description" in data or not partial:
        description = data.get("description") or ""
        if not isinstance(description, str):
            raise SubscriberError("description", "must be a string")
        out["description"] = description
    return out


@transaction.atomic
def create_list(data: dict[str, Any]) -> MailingList:
    return MailingList.objects.create(**_clean_list_fields(data, partial=False))


@transaction.atomic
def update_list(lst: MailingList, data: dict[str, Any]) -> MailingList:
    for fname, value in _clean_list_fields(data, partial=True).items():
        setattr(lst, fname, value)
    lst.save()
    return lst


@transaction.atomic
def delete_lists(list_ids: Iterable[int]) -> int:
    ids = list(list_ids)
    count = MailingList.objects.filter(id__in=ids).count()
    MailingList.objects.filter(id__in=ids).delete()
    return count
