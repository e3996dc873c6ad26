"""The opt-in confirmation mail: which memberships wait for it, and building
and queueing it.

The mail's link (subscribers.links) confirms every pending double opt-in list
of its subscriber (optin.confirm_optin). Confirmation mails go through the
durable outgoing queue (stmails.outbox) in the caller's transaction, so a
rolled-back subscription sends nothing and a committed one is never lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from stmails import config
from stmails.outbox import queue_mail
from subscribers.links import confirm_url, list_unsubscribe_headers
from subscribers.models import MailingList, Subscriber, Subscription

log = logging.getLogger(__name__)

# Meta flag of an unsubscribed membership on a single opt-in list that the
# public form asked to restore: it stays unsubscribed (no campaign mail) until
# the address confirms by mail, as anyone can type anyone's address.
RECONFIRM = "reconfirm"


def pending_double_optin(subscriber: Subscriber) -> QuerySet[Subscription]:
    """Memberships a confirmation link confirms: unconfirmed ones on double
    opt-in lists, and returning unsubscribers' (RECONFIRM) on any list."""
    return (
        Subscription.objects.filter(subscriber=subscriber)
        .filter(
            Q(
                status=Subscription.Status.UNCONFIRMED,
                list__optin=MailingList.Optin.DOUBLE,
            )
            | Q(status=Subscription.Status.UNSUBSCRIBED, **{f"meta__{RECONFIRM}": True})
        )
        .select_related("list")
        .order_by("list__name", "list_id")
    )


def confirmations_enabled() -> bool:
    return bool(config.get_value("app.send_optin_confirmation"))


MAIL_SETTINGS = (
    "app.from_email",
    "app.send_optin_confirmation",
    "app.optin_subject",
    "app.optin_body",
    "app.root_url",
)


def render_confirmation(
    subscriber: Subscriber, lists: list[MailingList], values: dict[str, Any]
) -> tuple[str, str]:
    """(subject, text) from the editable template in Settings → General;
    `values` holds MAIL_SETTINGS."""
    names = ", ".join(lst.name for lst in lists)
    # str.replace rather than str.format: other braces in the text stay as typed.
    placeholders = {
        "{name}": subscriber.name or subscriber.email,
        "{lists}": names,
        "{confirm_url}": confirm_url(subscriber, root=values["app.root_url"]),
    }
    subject, text = values["app.optin_subject"], values["app.optin_body"]
    for placeholder, value in placeholders.items():
        subject = subject.replace(placeholder, value)
        text = text.replace(placeholder, value)
    return subject, text


def send_optin_confirmation(
    subscriber: Subscriber, lists: Iterable[MailingList] | None = None
) -> Any:
    """Queue one confirmation mail covering all pending double opt-in lists.

    With `lists`, the mail goes only if one of them is a pending double opt-in
    list (the lists that triggered it); it still names every pending list, as
    its link confirms them all. Returns the queued OutgoingMail, or None when
    nothing is pending, the subscriber is blocklisted or
    app.send_optin_confirmation is off.
    """
    if subscriber.is_blocklisted:
        return None
    pending = [s.list for s in pending_double_optin(subscriber)]
    if lists is not None:
        wanted = {lst.id for lst in lists}
        if not any(lst.id in wanted for lst in pending):
            return None
    if not pending:
        return None
    return queue_confirmation(subscriber, pending)


def send_optin_confirmations(
    subscriber_ids: Iterable[int], lists: Iterable[MailingList]
) -> int:
    """send_optin_confirmation for many subscribers at once (an import batch):
    the pending lists in one query, the settings once. Returns mails queued."""
    trigger = {lst.id for lst in lists}
    values = config.get_values(*MAIL_SETTINGS)
    pending: dict[int, list[Subscription]] = {}
    memberships = Subscription.objects.filter(
        subscriber_id__in=list(subscriber_ids),
        status=Subscription.Status.UNCONFIRMED,
        list__optin=MailingList.Optin.DOUBLE,
    ).select_related("list", "subscriber")
    for sub in memberships.order_by("list__name", "list_id"):
        pending.setdefault(sub.subscriber_id, []).append(sub)
    queued = 0
    for subs in pending.values():
        subscriber = subs[0].subscriber
        if subscriber.is_blocklisted or not any(s.list_id in trigger for s in subs):
            continue
        if queue_confirmation(subscriber, [s.list for s in subs], values):
            queued += 1
    return queued


def queue_confirmation(
    subscriber: Subscriber,
    pending: list[MailingList],
    values: dict[str, Any] | None = None,
) -> Any:
    """Queue the mail naming `pending` (the caller knows them); None when
    app.send_optin_confirmation is off."""
    values = values or config.get_values(*MAIL_SETTINGS)
    if not values["app.send_optin_confirmation"]:
        # Shown on the dashboard and the lists' pages, not only in the log.
        log.info(
            "opt-in confirmation for subscriber %s not sent: "
            "app.send_optin_confirmation is off",
            subscriber.pk,
        )
        return None
    subject, text = render_confirmation(subscriber, pending, values)
    headers = {
        "X-Stmails-Subscriber": str(subscriber.uuid),
        **list_unsubscribe_headers(subscriber, pending, root=values["app.root_url"]),
    }
    return queue_mail(
        to=subscriber.email,
        subject=subject,
        text=text,
        headers=headers,
        from_email=values["app.from_email"],
        kind="optin",
        subscriber_id=subscriber.pk,
    )


def double_optin_without_confirmations() -> list[MailingList]:
    """Double opt-in lists whose confirmations are not sent (the setting is off)."""
    if confirmations_enabled():
        return []
    return list(MailingList.objects.filter(optin=MailingList.Optin.DOUBLE))
