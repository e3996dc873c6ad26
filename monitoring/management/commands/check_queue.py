"""`manage.py check_queue`: is mail going out? Exits 1 when mail is stuck.

Prints the outgoing mail counts, the oldest unsent mail's age, the last SMTP
errors and whether a worker and beat are alive; suits cron and monitoring.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from monitoring.health.queue_status import describe_age, queue_status


def positive_minutes(value: str) -> int:
    try:
        minutes = int(value)
    except ValueError:
        minutes = 0
    if minutes < 1:
        raise CommandError(f"expected a whole number of minutes >= 1, got {value!r}")
    return minutes


class Command(BaseCommand):
    help = "Show the outgoing mail queue's state; exit 1 when mail is stuck."

    def add_arguments(self, parser):
        parser.add_argument(
            "--stuck-after", type=positive_minutes, default=15, metavar="MINUTES",
            help="unsent mail older than this is stuck (default 15)",
        )  # fmt: skip
        parser.add_argument(
            "--heartbeat-age", type=positive_minutes, default=5, metavar="MINUTES",
            help="a worker or beat not seen for this long is down (default 5)",
        )  # fmt: skip

    def handle(self, *args, stuck_after: int, heartbeat_age: int, **options):
        status = queue_status(
            stuck_after=timedelta(minutes=stuck_after),
            heartbeat_max_age=timedelta(minutes=heartbeat_age),
        )
        c = status.counts
        out = self.stdout.write
        out(
            f"queued: {c['queued']}  sending: {c['sending']}  "
            f"awaiting retry: {c['awaiting_retry']}  failed: {c['failed']}  "
            f"sent: {c['sent']}  sent unconfirmed: {c['sent_unconfirmed']}"
        )
        out(f"oldest unsent mail: {describe_age(status.oldest_queued_age)}")
        out(f"worker: {_alive(status.worker_alive, status.worker_seen_at, status)}")
        out(f"beat: {_alive(status.beat_alive, status.beat_seen_at, status)}")
        out(f"enabled SMTP servers: {status.enabled_servers}")
        if status.last_errors:
            out("last SMTP errors:")
            for mail in status.last_errors:
                out(
                    f"  #{mail.pk} {mail.status} to {mail.to_email} "
                    f"(attempt {mail.attempts}): {mail.last_error}"
                )
        for warning in status.warnings:
            out(f"warning: {warning}")
        for problem in status.problems:
            self.stderr.write(f"STUCK: {problem}")
        if not status.ok:
            raise SystemExit(1)
        out("OK")


def _alive(alive: bool, seen_at, status) -> str:
    if seen_at is None:
        return "never seen"
    state = "alive" if alive else "DOWN"
    return f"{state} (last seen {describe_age(status.now - seen_at)} ago)"
