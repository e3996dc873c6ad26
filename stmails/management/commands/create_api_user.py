"""`manage.py create_api_user NAME`: create an API user and print its token once.

stdout carries only the token (TOKEN=$(manage.py create_api_user ci) works);
the note that it is shown once goes to stderr.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from stmails import services


class Command(BaseCommand):
    help = "Create an API user and print its access token (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument(
            "name", help="the API user's name (the basic-auth username)"
        )

    def handle(self, *args, name: str, **options):
        try:
            user, token = services.create_api_user(name)
        except services.ApiUserError as e:
            raise CommandError(str(e)) from None
        self.stderr.write(
            f"API user {user.name!r} created. Its token follows; it is shown only once."
        )
        self.stdout.write(token)
