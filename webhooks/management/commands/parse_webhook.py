"""`python manage.py parse_webhook`: see webhooks.parse_cli (manage.py runs that
directly, without starting Django; this command is for call_command and
`django-admin`)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from webhooks import parse_cli


class Command(BaseCommand):
    help = parse_cli.HELP
    # It reads a file: no database, no URLs.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parse_cli.add_arguments(parser)

    def handle(self, *args, provider, file, header, json=False, **options):
        try:
            events = parse_cli.parse(provider, file, header)
        except parse_cli.InputError as e:
            if not json:
                raise CommandError(str(e)) from None
            self.stdout.write(parse_cli.json_line([], str(e)))
            raise SystemExit(1) from None
        self.stdout.write(
            parse_cli.json_line(events) if json else parse_cli.summary(events)
        )
