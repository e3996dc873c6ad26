"""Beat: re-apply the bounce thresholds to everyone (see stmails/celery.py for the schedule)."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from bounces import services, smtp_rejections
from bounces.mailboxes import scanning


@shared_task(name="bounces.tasks.reapply_thresholds")
def reapply_thresholds() -> dict:
    result = services.reapply_thresholds()
    return {
        "checked": result.checked,
        "actions": result.actions,
        "deleted_bounces": result.deleted_bounces,
    }


@shared_task(name="bounces.tasks.record_smtp_rejection")
def record_smtp_rejection(*, mail_id: int) -> str:
    return smtp_rejections.record_smtp_rejection(mail_id)


@shared_task(name="bounces.tasks.record_smtp_rejections")
def record_smtp_rejections() -> int:
    """Beat: rejections whose task got lost (see bounces/smtp_rejections.py)."""
    return smtp_rejections.record_smtp_rejections()


@shared_task(name="bounces.tasks.scan_due_mailboxes")
def scan_due_mailboxes() -> list[str]:
    """Beat: enqueue a scan of each enabled mailbox whose interval has passed."""
    due = scanning.due_mailboxes()
    for mailbox_uuid in due:
        scan_mailbox.delay(mailbox_uuid=mailbox_uuid)
    return due


# A scan's time limits (prefork workers enforce them). Each message's parse has
# its own CPU budget (bounces/parsing/budget.py) and each batch is one
# transaction; the soft limit ends the scan cleanly after a committed batch or
# rolls back the current one, the hard limit kills the process; its
# MailboxScan row then goes stale and beat's next scan takes over.
SCAN_SOFT_TIME_LIMIT = 30 * 60
SCAN_TIME_LIMIT = SCAN_SOFT_TIME_LIMIT + 120


@shared_task(
    name="bounces.tasks.scan_mailbox",
    soft_time_limit=SCAN_SOFT_TIME_LIMIT,
    time_limit=SCAN_TIME_LIMIT,
)
def scan_mailbox(*, mailbox_uuid: str) -> dict:
    """One scan (queue "scans"); the MailboxScan row is the lock, so a second
    one just reports it."""
    try:
        box = scanning.find_mailbox(mailbox_uuid)
        return scanning.scan_mailbox(box).as_dict()
    except scanning.ScanError as e:
        return {"error": e.message}
    except SoftTimeLimitExceeded:
        return {"error": f"the scan ran out of time ({SCAN_SOFT_TIME_LIMIT} s)"}
