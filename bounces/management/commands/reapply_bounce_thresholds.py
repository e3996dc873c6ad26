"""Apply the current bounce thresholds to every subscriber now (what the beat job does)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from bounces import services


class Command(BaseCommand):
    help = "Re-apply Settings → Bounces thresholds to every subscriber with bounces."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="show what would be done, then roll everything back",
        )

    def handle(self, *args, dry_run: bool = False, **options):
        with transaction.atomic():
            result = services.reapply_thresholds()
            # One outer transaction makes the dry run exact: the same code runs, nothing stays.
            if dry_run:
                transaction.set_rollback(True)
        actions = (
            ", ".join(f"{name}: {n}" for name, n in sorted(result.actions.items()))
            or "none"
        )
        prefix = "dry run, nothing changed: " if dry_run else ""
        self.stdout.write(
            f"{prefix}checked {result.checked} subscriber(s); actions: {actions}; "
            f"bounces deleted with subscribers: {result.deleted_bounces}"
        )
