"""python manage.py evaluate_alerts [--dry-run]

Runs the alert rules once (as the beat task does every minute). With --dry-run,
prints the conditions true now and changes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from monitoring.alerts import services
from monitoring.alerts.rules import alert_settings


class Command(BaseCommand):
    help = "Check the alert rules: open and close incidents, send notifications."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="print the conditions only"
        )

    def handle(self, *args, **options) -> None:
        if options["dry_run"]:
            answers, errors = services.check_rules(timezone.now(), alert_settings())
            for slug, conditions in answers.items():
                if conditions is None:
                    self.stdout.write(f"{slug}: off")
                for c in conditions or []:
                    self.stdout.write(f"{slug}: {c.summary}")
            for slug, error in errors.items():
                self.stdout.write(f"{slug}: ERROR {error}")
            return
        result = services.evaluate_alerts()
        if result.skipped:
            self.stdout.write("alerts are switched off (Settings → Alerts)")
            return
        for key in result.opened:
            self.stdout.write(f"opened    {key}")
        for key in result.recovered:
            self.stdout.write(f"recovered {key}")
        for slug, error in result.errors.items():
            self.stdout.write(f"error     {slug}: {error}")
        self.stdout.write(f"{result.open} incident(s) open")
