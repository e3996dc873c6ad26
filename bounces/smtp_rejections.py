"""SMTP rejections become bounces (source "smtp").

The reply's reason (bounces.parsing.classify, as for any bounce) decides hard
or soft: "550 5.1.1 user unknown" is hard, "554 5.7.1 blocked" soft.

stmails.outbox stores a recipient's 5xx reply to RCPT TO on the outgoing mail
row and fires `smtp_rejection` after commit (the core app cannot import
bounces). Here the signal enqueues `record_smtp_rejection`; a beat sweep
converts any rejection whose signal or task got lost (store first, process after).

Campaign deliveries rejected at RCPT TO (campaigns.sending.sender fires
`delivery_rejection` after storing the failed row) are recorded at once, in
the sending worker, with the event key "smtp:delivery:<id>".
"""

from __future__ import annotations

import logging
import re

from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone

from bounces.parsing.classify import classify
from bounces.recording import record_bounce
from bounces.services import BounceError, NewBounce
from campaigns.models import Delivery
from campaigns.sending.failures import delivery_rejection
from stmails.durable_queue import send_task
from stmails.models import OutgoingMail
from stmails.outbox import smtp_rejection
from subscribers.models import Subscriber

log = logging.getLogger(__name__)

ENHANCED_CODE = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


def pending_rejections():
    return OutgoingMail.objects.filter(
        Q(status=OutgoingMail.Status.FAILED)
        & Q(permanent=True, smtp_stage="RCPT TO", rejection_handled_at=None)
    )


def record_smtp_rejection(mail_id: int) -> str:
    """Record the bounce of one rejected mail; returns what happened.

    Idempotent: the bounce's event key is "smtp:<mail id>". A rejection that
    cannot become a bounce (processing off, address of no subscriber: listed
    as unmatched) is marked handled with the reason logged; other errors leave it for the sweep.
    """
    mail = pending_rejections().filter(pk=mail_id).first()
    if mail is None:
        return "not pending"
    subscriber_uuid = None
    if mail.subscriber_id:
        found = Subscriber.objects.filter(pk=mail.subscriber_id).values("uuid")
        subscriber_uuid = str(found[0]["uuid"]) if found else None
    code = ENHANCED_CODE.search(mail.smtp_response)
    verdict = classify(code.group(1) if code else None, mail.smtp_response)
    try:
        result = record_bounce(
            NewBounce(
                type=verdict.type,
                reason=verdict.reason,
                source="smtp",
                subscriber_uuid=subscriber_uuid,
                email=mail.to_email,
                campaign_id=mail.campaign_id,
                event_key=f"smtp:{mail.pk}",
                provider_message_id=mail.message_id,
                status_code=code.group(1) if code else str(mail.smtp_code or ""),
                meta={"smtp_response": mail.smtp_response, "kind": mail.kind},
                origin="smtp",
                payload={"smtp_response": mail.smtp_response, "kind": mail.kind},
            )
        )
        outcome = "recorded" if result.created else "already recorded"
    except BounceError as e:
        if e.status not in (404, 503):
            raise
        log.info("SMTP rejection of mail %s not recorded: %s", mail.pk, e)
        outcome = f"skipped: {e}"
    OutgoingMail.objects.filter(pk=mail.pk).update(rejection_handled_at=timezone.now())
    return outcome


def record_smtp_rejections() -> int:
    """Beat sweep: convert every rejection not handled yet. Returns how many."""
    done = 0
    for mail_id in pending_rejections().values_list("pk", flat=True)[:1000]:
        record_smtp_rejection(mail_id)
        done += 1
    return done


@receiver(smtp_rejection, dispatch_uid="bounces.smtp_rejection")
def _on_smtp_rejection(sender, mail_id: int, **kwargs) -> None:
    send_task("bounces.tasks.record_smtp_rejection", mail_id=mail_id)


def record_delivery_rejection(delivery_id: int) -> str:
    """Record the bounce of one campaign delivery rejected at RCPT TO.

    Idempotent (event key "smtp:delivery:<id>"); processing off or an address
    of no subscriber is logged and skipped, as for outgoing mail.
    """
    delivery = Delivery.objects.filter(
        pk=delivery_id, status=Delivery.Status.FAILED, permanent=True
    ).first()
    if delivery is None:
        return "not pending"
    found = Subscriber.objects.filter(pk=delivery.subscriber_id).values("uuid")
    code = ENHANCED_CODE.search(delivery.last_error)
    verdict = classify(code.group(1) if code else None, delivery.last_error)
    try:
        result = record_bounce(
            NewBounce(
                type=verdict.type,
                reason=verdict.reason,
                source="smtp",
                subscriber_uuid=str(found[0]["uuid"]) if found else None,
                email=delivery.email,
                campaign_id=delivery.campaign_id,
                event_key=f"smtp:delivery:{delivery.pk}",
                status_code=code.group(1) if code else str(delivery.smtp_code or ""),
                meta={"smtp_response": delivery.last_error, "kind": "campaign"},
                origin="smtp",
                payload={"smtp_response": delivery.last_error, "kind": "campaign"},
            )
        )
    except BounceError as e:
        if e.status not in (404, 503):
            raise
        log.info("SMTP rejection of delivery %s not recorded: %s", delivery.pk, e)
        return f"skipped: {e}"
    return "recorded" if result.created else "already recorded"


@receiver(delivery_rejection, dispatch_uid="bounces.delivery_rejection")
def _on_delivery_rejection(sender, delivery_id: int, **kwargs) -> None:
    record_delivery_rejection(delivery_id)
