"""Show what stmails would record for bounce messages, without touching the database.

    python manage.py parse_bounce [--json] FILE... ("-" reads standard input)

--json prints one line per file, an interface scripts depend on:
{"file": ..., "events": [{"email", "type", "status", "reason", "diagnostic",
"subscriber_uuid", "campaign_uuid", "message_id"}], "error": null | "..."}
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from bounces.parsing.events import ParsedMessage
from bounces.parsing.message import parse_message

JSON_FIELDS = (
    "email",
    "type",
    "status",
    "reason",
    "diagnostic",
    "subscriber_uuid",
    "campaign_uuid",
    "message_id",
)


class Command(BaseCommand):
    help = "Parse bounce messages and print the events stmails would record."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help='"-" is stdin')
        parser.add_argument(
            "--json", action="store_true", help="one JSON object per line and file"
        )

    def handle(self, *args, files: list[str], json: bool = False, **options):
        failed = 0
        for name in files:
            try:
                raw = self._read(name)
            except OSError as exc:
                failed += 1
                self._print_error(
                    name, f"cannot read file: {exc.strerror or exc}", json
                )
                continue
            parsed = parse_message(raw)
            if json:
                self.stdout.write(_json_line(name, parsed))
            else:
                self.stdout.write(_summary(name, parsed))
        if failed:
            raise CommandError(f"{failed} of {len(files)} file(s) could not be read")

    def _read(self, name: str) -> bytes:
        if name == "-":
            return sys.stdin.buffer.read()
        with open(name, "rb") as fh:
            return fh.read()

    def _print_error(self, name: str, message: str, as_json: bool) -> None:
        if as_json:
            line = {"file": name, "events": [], "error": message}
            self.stdout.write(json.dumps(line, ensure_ascii=False))
        else:
            self.stderr.write(f"{name}: error: {message}")


def _json_line(name: str, parsed: ParsedMessage) -> str:
    events = [{key: getattr(e, key) for key in JSON_FIELDS} for e in parsed.events]
    error = parsed.error if parsed.kind == "unparseable" else None
    return json.dumps(
        {"file": name, "events": events, "error": error}, ensure_ascii=False
    )


def _summary(name: str, parsed: ParsedMessage) -> str:
    lines = [f"{name}: {_describe(parsed)}"]
    if parsed.subject:
        lines.append(f"  subject: {parsed.subject}")
    if parsed.verp_token:
        lines.append(f"  VERP token: {parsed.verp_token}")
    for e in parsed.events:
        status = f" {e.status}" if e.status else ""
        lines.append(f"  - {e.email}: {e.type}{status} ({e.reason or 'no reason'})")
        if e.diagnostic:
            lines.append(f"      diagnostic: {e.diagnostic[:300]}")
        for label, value in (
            ("subscriber", e.subscriber_uuid),
            ("campaign", e.campaign_uuid),
            ("message-id", e.message_id),
        ):
            if value:
                lines.append(f"      {label}: {value}")
    return "\n".join(lines)


def _describe(parsed: ParsedMessage) -> str:
    n = len(parsed.events)
    if parsed.kind == "unparseable":
        return f"unparseable: {parsed.error}"
    if n:
        return f"{parsed.kind}, {n} event(s) to record"
    return {
        "delayed": "delivery delayed warning, nothing to record",
        "autoreply": "auto-reply, nothing to record",
        "arf": "feedback report that is not a complaint, nothing to record",
    }.get(parsed.kind, "not a bounce, nothing to record")
