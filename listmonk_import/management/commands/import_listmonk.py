"""`manage.py import_listmonk postgresql://…`: bring a listmonk database over.

Reads listmonk read-only; progress lines and the final report (what was added,
what was already there, what was skipped and why) go to stdout. Safe to run
again: a second run adds nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from listmonk_import import services


class Command(BaseCommand):
    help = (
        "Import subscribers, lists, subscriptions, templates, campaigns, bounces "
        "(and views and clicks) from a listmonk PostgreSQL database, read-only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "database_url",
            help="the listmonk database, e.g. postgresql://listmonk@db:5432/listmonk "
            "(a read-only role is enough)",
        )
        parser.add_argument(
            # Not --settings: Django's own option (the settings module) has it.
            "--bounce-thresholds",
            action="store_true",
            dest="take_settings",
            help="also take listmonk's bounce thresholds (its bounce.actions "
            "setting) into stmails' bounce.actions",
        )
        parser.add_argument(
            "--batch", type=int, default=500, help="rows per transaction (default 500)"
        )

    def handle(
        self, *args, database_url: str, take_settings: bool, batch: int, **options
    ):
        if not 1 <= batch <= 10000:
            raise CommandError("--batch: must be between 1 and 10000")
        try:
            services.run_import(
                database_url,
                progress=self.stdout.write,
                settings=take_settings,
                batch=batch,
            )
        except services.ListmonkImportError as e:
            raise CommandError(str(e)) from None
