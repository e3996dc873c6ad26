"""`manage.py parse_webhook` without Django's full start-up (issue 19: < 0.5 s).

The providers' parsers are pure, but their modules also declare settings keys
(stmails.config), which import stmails' models: they need Django's settings and
the stmails app's models, and nothing else. manage.py calls `main` before
Django starts: the app registry gets contenttypes, auth and stmails with no
ready() hooks (no settings-key discovery, no Celery tasks, no other apps), then
the management command runs as usual, without system checks.
"""

from __future__ import annotations

import os

from django.apps import AppConfig


class ParsersOnly(AppConfig):
    """The stmails app's models without its start-up work (StmailsConfig.ready)."""

    name = "stmails"
    label = "stmails"


def main(argv: list[str]) -> None:
    """argv as manage.py got it: [manage.py, "parse_webhook", ...]."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stmails.settings")
    from django.apps import apps

    apps.populate(
        [
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "webhooks.parse_cli.ParsersOnly",
        ]
    )
    from webhooks.management.commands.parse_webhook import Command

    Command().run_from_argv(argv)
