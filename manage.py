#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    # The parsers need nothing but pure code: run them before (and instead of)
    # Django's start-up, which costs several times what they do
    # (bench/bench_cli_startup.py). With no settings loaded they need no keys.
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "parse_bounce":
        from bounces.parse_cli import main

        sys.exit(main(sys.argv[2:], prog=f"{sys.argv[0]} parse_bounce"))
    if command == "parse_webhook":
        from webhooks.parse_cli import main

        sys.exit(main(sys.argv[2:], prog=f"{sys.argv[0]} parse_webhook"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stmails.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as e:
        sys.stderr.write(f"stmails: configuration error: {e}\n")
        sys.exit(2)
