"""Check the subscriber tallies against the table, and count it again if they differ.

python manage.py recount_subscribers [--check]
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from subscribers import tallies


class Command(BaseCommand):
    help = (
        "Compare the subscriber tallies with the table; rebuild them when they differ."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="only compare (exit 1 on a difference)"
        )

    def handle(self, *args, check: bool = False, **options):
        if not tallies.in_use():
            self.stdout.write("no tallies on this database: the table is counted")
            return
        differences = tallies.drift()
        for status, (tallied, counted) in sorted(differences.items()):
            self.stdout.write(f"{status}: tallied {tallied}, counted {counted}")
        if not differences:
            self.stdout.write(f"tallies exact: {tallies.total()} subscribers")
            return
        if check:
            raise CommandError("the tallies differ from the table")
        tallies.rebuild()
        self.stdout.write(f"tallies rebuilt: {tallies.total()} subscribers")
