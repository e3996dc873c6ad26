#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    # parse_bounce needs nothing but the pure parser: run it before (and
    # instead of) Django's start-up, which costs more than a second.
    if len(sys.argv) > 1 and sys.argv[1] == "parse_bounce":
        from bounces.parse_cli import main

        sys.exit(main(sys.argv[2:], prog=f"{sys.argv[0]} parse_bounce"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stmails.settings")
    if len(sys.argv) > 1 and sys.argv[1] == "parse_webhook":
        os.environ["STMAILS_KEYLESS_COMMAND"] = "true"
        from webhooks.parse_cli import main as parse_webhook

        parse_webhook(sys.argv)
        sys.exit(0)
    # These parse a file and print what stmails would record: no database, no
    # stored secret, so no keys are needed to run them.
    if len(sys.argv) > 1 and sys.argv[1] in ("parse_bounce", "parse_webhook"):
        os.environ["STMAILS_KEYLESS_COMMAND"] = "true"
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as e:
        sys.stderr.write(f"stmails: configuration error: {e}\n")
        sys.exit(2)
