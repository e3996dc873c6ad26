"""`python manage.py parse_bounce`: see bounces.parse_cli (manage.py runs that
directly, without starting Django; this command is for call_command and
`django-admin`)."""

from __future__ import annotations

import io

from django.core.management.base import BaseCommand, CommandError

from bounces import parse_cli


class Command(BaseCommand):
    help = parse_cli.HELP

    def add_arguments(self, parser):
        parse_cli.add_arguments(parser)

    def handle(self, *args, files: list[str], json: bool = False, **options):
        out, err = io.StringIO(), io.StringIO()
        failed = parse_cli.run(files, json, out, err)
        if out.getvalue():
            self.stdout.write(out.getvalue(), ending="")
        if err.getvalue():
            self.stderr.write(err.getvalue(), ending="")
        if failed:
            raise CommandError(f"{failed} of {len(files)} file(s) could not be read")
