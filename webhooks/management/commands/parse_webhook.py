"""python manage.py parse_webhook PROVIDER FILE [--header 'Name: value']... [--json]

Prints the events a payload would produce: no verification, nothing written.
With --json, one line: {"events": [{"email", "type", "message_id"}], "error": null}
(ignored events are left out; an unreadable payload gives "error" and exit 1).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.datastructures import CaseInsensitiveMapping

from webhooks.providers.base import PayloadError
from webhooks.providers.registry import PROVIDERS, get_provider


class Command(BaseCommand):
    help = "Print the bounce events a provider's webhook payload would produce."
    # It reads a file: no database, no URLs (manage.py runs it without the
    # other apps, webhooks.parse_cli).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("provider", help=", ".join(PROVIDERS))
        parser.add_argument("file", help="the request body ('-' for stdin)")
        parser.add_argument(
            "--header",
            action="append",
            default=[],
            metavar="'Name: value'",
            help="a request header (repeatable)",
        )
        parser.add_argument("--json", action="store_true", help="one JSON line")

    def handle(self, *args, **options) -> None:
        as_json = options["json"]
        try:
            events = self._parse(options)
        except CommandError as e:
            if not as_json:
                raise
            self.stdout.write(json.dumps({"events": [], "error": str(e)}))
            raise SystemExit(1) from None
        if as_json:
            self.stdout.write(json.dumps({"events": events, "error": None}))
            return
        if not events:
            self.stdout.write("no bounce or complaint in this payload")
        for e in events:
            self.stdout.write(f"{e['type']:<10} {e['email']}  {e['message_id'] or ''}")

    def _parse(self, options: dict) -> list[dict]:
        provider = get_provider(options["provider"])
        if provider is None:
            raise CommandError(
                f"unknown provider {options['provider']!r} (one of {', '.join(PROVIDERS)})"
            )
        headers = {}
        for line in options["header"]:
            name, sep, value = line.partition(":")
            if not sep or not name.strip():
                raise CommandError(f"--header {line!r}: use 'Name: value'")
            headers[name.strip()] = value.strip()
        path = options["file"]
        try:
            raw = self.stdin_bytes() if path == "-" else Path(path).read_bytes()
        except OSError as e:
            raise CommandError(f"cannot read {path}: {e.strerror}") from None
        try:
            events = provider().parse(raw, CaseInsensitiveMapping(headers))
        except PayloadError as e:
            raise CommandError(e.message) from None
        return [
            {"email": e.email, "type": e.type, "message_id": e.message_id or None}
            for e in events
            if not e.is_ignored
        ]

    def stdin_bytes(self) -> bytes:
        import sys

        return sys.stdin.buffer.read()
