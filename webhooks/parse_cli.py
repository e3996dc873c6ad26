"""`parse_webhook`: the events a provider's webhook payload would produce.

    python manage.py parse_webhook PROVIDER FILE [--header 'Name: value']... [--json]
    python -m webhooks.parse_cli PROVIDER FILE ...   ("-" reads standard input)

Nothing is verified and nothing written. --json prints one line, an interface
scripts depend on: {"events": [{"email", "type", "message_id"}], "error": null}
(ignored events are left out; an unusable input gives "error" and exit 1).

It imports the providers' modules only: no Django settings, no app registry,
no ORM, no Celery. manage.py hands `parse_webhook` here before Django starts
(as bounces.parse_cli), so the command starts in about the time the providers
take to import (bench/bench_cli_startup.py); the management command wraps the
same functions for call_command.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from django.utils.datastructures import CaseInsensitiveMapping

from webhooks.providers.base import PayloadError
from webhooks.providers.registry import PROVIDERS, get_provider

HELP = "Print the bounce events a provider's webhook payload would produce."


class InputError(Exception):
    """An unknown provider, a bad --header, an unreadable file or payload."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
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


def parse(slug: str, path: str, header_lines: list[str]) -> list[dict]:
    """The events `path` holds for provider `slug`, as --json prints them."""
    provider = get_provider(slug)
    if provider is None:
        raise InputError(f"unknown provider {slug!r} (one of {', '.join(PROVIDERS)})")
    headers = {}
    for line in header_lines:
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise InputError(f"--header {line!r}: use 'Name: value'")
        headers[name.strip()] = value.strip()
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from None
    try:
        events = provider().parse(raw, CaseInsensitiveMapping(headers))
    except PayloadError as e:
        raise InputError(e.message) from None
    return [
        {"email": e.email, "type": e.type, "message_id": e.message_id or None}
        for e in events
        if not e.is_ignored
    ]


def json_line(events: list[dict], error: str | None = None) -> str:
    return json.dumps({"events": events, "error": error})


def summary(events: list[dict]) -> str:
    if not events:
        return "no bounce or complaint in this payload"
    return "\n".join(
        f"{e['type']:<10} {e['email']}  {e['message_id'] or ''}" for e in events
    )


def run(
    slug: str,
    path: str,
    header_lines: list[str],
    as_json: bool,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """Print the events (or the error); returns the exit status."""
    try:
        events = parse(slug, path, header_lines)
    except InputError as e:
        if as_json:
            stdout.write(json_line([], str(e)) + "\n")
        else:
            # As Django's CommandError: the message on stderr, exit status 1.
            stderr.write(f"CommandError: {e}\n")
        return 1
    stdout.write((json_line(events) if as_json else summary(events)) + "\n")
    return 0


def main(argv: list[str] | None = None, prog: str = "parse_webhook") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=HELP)
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run(args.provider, args.file, args.header, args.json, sys.stdout, sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
