from django.apps import AppConfig


class StmailsConfig(AppConfig):
    name = "stmails"
    verbose_name = "stmails core"

    def ready(self) -> None:
        from stmails import settings_keys  # noqa: F401  (registers the keys)
