"""Scan the bounce mailboxes now, in the foreground (what the beat job does per mailbox)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from bounces.mailboxes import scanning


class Command(BaseCommand):
    help = (
        "Scan every enabled bounce mailbox (or the one named) and print a summary: "
        "messages seen, bounces recorded by type, unmatched, not bounces, errors."
    )

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", metavar="NAME", help="only this mailbox")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="parse and match, but record, delete and move nothing",
        )
        parser.add_argument(
            "--limit",
            type=int,
            metavar="N",
            help="look at N messages per mailbox at most",
        )

    def handle(self, *args, mailbox=None, dry_run=False, limit=None, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be a positive number")
        try:
            if mailbox:
                boxes = [scanning.find_mailbox(mailbox)]
            else:
                boxes = [b for b in scanning.all_mailboxes() if b["enabled"]]
        except scanning.ScanError as e:
            raise CommandError(e.message) from None
        if not boxes:
            self.stdout.write(
                "no enabled bounce mailbox (Settings → Bounces → Bounce mailboxes)"
            )
            return
        failed = []
        for box in boxes:
            try:
                result = scanning.scan_mailbox(box, dry_run=dry_run, limit=limit)
            except scanning.ScanError as e:
                if len(boxes) == 1:
                    raise CommandError(e.message) from None
                self.stderr.write(f"{box['name']}: {e.message}")
                failed.append(box["name"])
                continue
            for line in result.lines():
                self.stdout.write(line)
            if result.error:
                failed.append(box["name"])
        if failed:
            raise CommandError(f"scan failed for {', '.join(failed)}")
