"""Write docs/settings.md from the settings registry (or --check it)."""

from django.core.management.base import BaseCommand, CommandError

from stmails.config.reference import PAGE, render_reference


class Command(BaseCommand):
    help = "Write the settings reference page (docs/settings.md) from the registry."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; fail if the page is not what the registry generates.",
        )

    def handle(self, *args, check: bool = False, **options):
        page = render_reference()
        if check:
            if not PAGE.exists() or PAGE.read_text() != page:
                raise CommandError(
                    f"{PAGE} is out of date: run manage.py settings_reference"
                )
            self.stdout.write(f"{PAGE} is up to date.")
            return
        PAGE.write_text(page)
        self.stdout.write(f"Wrote {PAGE}.")
