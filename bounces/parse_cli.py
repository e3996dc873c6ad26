"""`parse_bounce`: what stmails would record for bounce messages, database-free.

    python manage.py parse_bounce [--json] FILE... ("-" reads standard input)
    python -m bounces.parse_cli [--json] FILE...

--json prints one line per file, an interface scripts depend on:
{"file": ..., "events": [{"email", "type", "status", "reason", "diagnostic",
"subscriber_uuid", "campaign_uuid", "message_id"}], "error": null | "..."}

It imports the pure parser only (no Django, no apps, no settings): manage.py
hands `parse_bounce` here before Django starts, so the command starts in
about the time the parser takes to import (bench/bench_cli_startup.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

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
HELP = "Parse bounce messages and print the events stmails would record."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help='"-" is stdin')
    parser.add_argument(
        "--json", action="store_true", help="one JSON object per line and file"
    )


def run(files: list[str], as_json: bool, stdout: TextIO, stderr: TextIO) -> int:
    """Parse and print each file; returns how many could not be read."""
    failed = 0
    for name in files:
        try:
            raw = _read(name)
        except OSError as exc:
            failed += 1
            message = f"cannot read file: {exc.strerror or exc}"
            if as_json:
                line = {"file": name, "events": [], "error": message}
                stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            else:
                stderr.write(f"{name}: error: {message}\n")
            continue
        parsed = parse_message(raw)
        text = _json_line(name, parsed) if as_json else _summary(name, parsed)
        stdout.write(text + "\n")
    return failed


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    with open(name, "rb") as fh:
        return fh.read()


def main(argv: list[str] | None = None, prog: str = "parse_bounce") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=HELP)
    add_arguments(parser)
    args = parser.parse_args(argv)
    failed = run(args.files, args.json, sys.stdout, sys.stderr)
    if failed:
        # As Django's CommandError: the message on stderr, exit status 1.
        sys.stderr.write(
            f"CommandError: {failed} of {len(args.files)} file(s) could not be read\n"
        )
        return 1
    return 0


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


if __name__ == "__main__":
    sys.exit(main())
