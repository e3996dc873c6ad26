"""Why is no mail going out? One answer for `check_queue` and the Health page.

Looks at the outgoing mail queue, the worker and beat heartbeats and the
settings that silently stop mail, and lists the problems in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Min
from django.utils import timezone

from stmails import config
from stmails.models import Heartbeat, OutgoingMail

Status = OutgoingMail.Status

STUCK_AFTER = timedelta(minutes=15)
HEARTBEAT_MAX_AGE = timedelta(minutes=5)
PENDING = (Status.QUEUED, Status.SENDING, Status.AWAITING_RETRY)


@dataclass
class QueueStatus:
    now: datetime
    counts: dict[str, int]
    oldest_queued_at: datetime | None
    worker_seen_at: datetime | None
    beat_seen_at: datetime | None
    worker_alive: bool
    beat_alive: bool
    enabled_servers: int
    optin_confirmation: bool
    last_errors: list[OutgoingMail] = field(default_factory=list)
    # Mail is not going out: check_queue exits non-zero.
    problems: list[str] = field(default_factory=list)
    # Worth knowing, not an outage.
    warnings: list[str] = field(default_factory=list)

    @property
    def pending(self) -> int:
        return sum(self.counts.get(s, 0) for s in PENDING)

    @property
    def oldest_queued_age(self) -> timedelta | None:
        return self.now - self.oldest_queued_at if self.oldest_queued_at else None

    @property
    def ok(self) -> bool:
        return not self.problems


def describe_age(age: timedelta | None) -> str:
    if age is None:
        return "-"
    seconds = max(int(age.total_seconds()), 0)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def queue_status(
    *,
    now: datetime | None = None,
    stuck_after: timedelta = STUCK_AFTER,
    heartbeat_max_age: timedelta = HEARTBEAT_MAX_AGE,
) -> QueueStatus:
    """Counts, ages, heartbeats, the last SMTP errors and the problems found."""
    now = now or timezone.now()
    counts = {s: 0 for s in Status.values}
    counts.update(
        OutgoingMail.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    oldest = OutgoingMail.objects.filter(status__in=PENDING).aggregate(
        at=Min("created_at")
    )["at"]
    beats = dict(Heartbeat.objects.values_list("name", "seen_at"))
    worker_at, beat_at = beats.get("worker"), beats.get("beat")
    settings = config.get_values("smtp", "app.send_optin_confirmation")
    status = QueueStatus(
        now=now,
        counts=counts,
        oldest_queued_at=oldest,
        worker_seen_at=worker_at,
        beat_seen_at=beat_at,
        worker_alive=bool(worker_at and now - worker_at <= heartbeat_max_age),
        beat_alive=bool(beat_at and now - beat_at <= heartbeat_max_age),
        enabled_servers=sum(1 for s in settings["smtp"] if s.get("enabled")),
        optin_confirmation=settings["app.send_optin_confirmation"],
        last_errors=list(
            OutgoingMail.objects.exclude(last_error="")
            .exclude(status=Status.SENT)
            .order_by("-claimed_at", "-id")[:10]
        ),
    )
    _diagnose(status, stuck_after, heartbeat_max_age)
    return status


def _diagnose(
    status: QueueStatus, stuck_after: timedelta, heartbeat_max_age: timedelta
) -> None:
    minutes = int(heartbeat_max_age.total_seconds() // 60)
    age = status.oldest_queued_age
    if age is not None and age > stuck_after:
        status.problems.append(
            f"the oldest unsent mail is {describe_age(age)} old "
            f"(more than {describe_age(stuck_after)})"
        )
    if status.pending and not status.worker_alive:
        status.problems.append(
            f"mail is waiting and no worker has been seen for {minutes} min"
        )
    if status.counts[Status.AWAITING_RETRY] and not status.beat_alive:
        status.problems.append(
            f"mail awaits a retry and celery beat has not been seen for {minutes} min"
        )
    if status.pending and not status.enabled_servers:
        status.problems.append("mail is waiting and no SMTP server is enabled")
    if not status.pending and not status.enabled_servers:
        status.warnings.append("no SMTP server is enabled: no mail can go out")
    if not status.worker_alive and not status.pending:
        status.warnings.append(f"no worker has been seen for {minutes} min")
    if not status.beat_alive and not status.counts[Status.AWAITING_RETRY]:
        status.warnings.append(f"celery beat has not been seen for {minutes} min")
    if status.counts[Status.FAILED]:
        status.warnings.append(f"{status.counts[Status.FAILED]} mail failed for good")
    if status.counts[Status.SENT_UNCONFIRMED]:
        status.warnings.append(
            f"{status.counts[Status.SENT_UNCONFIRMED]} mail may not have arrived: "
            "a worker stopped while handing it to the server (not sent again)"
        )
    if not status.optin_confirmation:
        status.warnings.append(
            "subscription confirmations (double opt-in) are switched off in "
            "Settings → General: none are sent"
        )
