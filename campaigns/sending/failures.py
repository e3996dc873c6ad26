"""A campaign message that did not go out: its row's new state, and the
signal a refused recipient sends (bounces records it as a hard bounce)."""

from __future__ import annotations

import logging

from django.dispatch import Signal

from campaigns.models import Delivery
from stmails.outbox import SendFailure

log = logging.getLogger(__name__)

# Sent with delivery_id when a recipient was rejected with 5xx at RCPT TO;
# bounces listens and records a hard bounce (campaigns cannot import it).
delivery_rejection = Signal()


def label(server: dict | None) -> str:
    return f"{server['host']}:{server['port']}" if server else "no server"


def record_failure(
    delivery,
    attempt: int,
    failure: SendFailure,
    server: dict | None,
    *,
    final: bool,
    claimed_as: str = Delivery.Status.SENDING,
) -> bool:
    """Fail the claimed row (in status `claimed_as`: "sent" for a group's), or
    queue it again while attempts are left (the server's max_msg_retries);
    True when it failed for good."""
    retries = int((server or {}).get("max_msg_retries", 2))
    final = final or failure.permanent or attempt > retries
    Delivery.objects.filter(pk=delivery.pk, status=claimed_as, attempts=attempt).update(
        status=Delivery.Status.FAILED if final else Delivery.Status.QUEUED,
        message_id="",
        sent_at=None,
        last_error=f"{label(server)}: {failure.message}"[:2000],
        smtp_code=failure.code,
        permanent=failure.permanent,
    )
    log.warning("campaign delivery %s to %s, attempt %s: %s",
                delivery.pk, delivery.email, attempt, failure.message)  # fmt: skip
    if failure.permanent and failure.stage == "RCPT TO":
        for receiver, outcome in delivery_rejection.send_robust(
            sender=Delivery, delivery_id=delivery.pk
        ):
            if isinstance(outcome, Exception):
                log.warning(
                    "delivery_rejection receiver %s failed: %s", receiver, outcome
                )
    return final
