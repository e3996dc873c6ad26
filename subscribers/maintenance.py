"""listmonk's maintenance for subscribers: delete the blocklisted ones, the
orphans (in no list), and unconfirmed double opt-in subscriptions older than
a date.

Each call is one transaction, deleting in bounded batches (ids fetched a
batch at a time, never all at once), and goes through the same delete as
every other path, so subscriber.deleted webhooks fire for each subscriber.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from stmails.event_hooks import services as event_hooks
from subscribers import hook_events
from subscribers.models import MailingList, Subscriber, Subscription

BATCH = 1000
SUBSCRIBER_KINDS = ("blocklisted", "orphan")


def gc_candidates(kind: str) -> QuerySet[Subscriber]:
    """The subscribers a maintenance delete of `kind` would remove."""
    if kind == "blocklisted":
        return Subscriber.objects.filter(status=Subscriber.Status.BLOCKLISTED)
    if kind == "orphan":
        member = Subscription.objects.filter(subscriber_id=OuterRef("pk"))
        return Subscriber.objects.filter(~Exists(member))
    raise ValueError(f"unknown kind {kind!r}")


@transaction.atomic
def delete_subscribers_gc(kind: str, *, batch: int = BATCH) -> int:
    """Delete every blocklisted (kind "blocklisted") or orphan subscriber."""
    total = 0
    while True:
        ids = list(
            gc_candidates(kind).order_by("id").values_list("id", flat=True)[:batch]
        )
        if not ids:
            return total
        hook_events.deleting(ids, reason=event_hooks.REASON_ADMIN)
        _, per_model = Subscriber.objects.filter(id__in=ids).delete()
        total += per_model.get(Subscriber._meta.label, 0)


def unconfirmed_subscriptions(before: datetime) -> QuerySet[Subscription]:
    return Subscription.objects.filter(
        status=Subscription.Status.UNCONFIRMED,
        list__optin=MailingList.Optin.DOUBLE,
        created_at__lt=before,
    )


@transaction.atomic
def delete_unconfirmed_subscriptions(before: datetime, *, batch: int = BATCH) -> int:
    """Unconfirmed subscriptions to double opt-in lists made before `before`
    (listmonk's rule; the subscribers themselves stay)."""
    total = 0
    while True:
        ids = list(
            unconfirmed_subscriptions(before)
            .order_by("id")
            .values_list("id", flat=True)[:batch]
        )
        if not ids:
            return total
        total += Subscription.objects.filter(id__in=ids).delete()[0]
