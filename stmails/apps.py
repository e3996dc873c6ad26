from django.apps import AppConfig


class StmailsConfig(AppConfig):
    name = "stmails"
    verbose_name = "stmails core"

    def ready(self) -> None:
        from stmails.config.discovery import discover_settings_keys

        # Every app's settings_keys.py registers its keys (stmails' own too).
        discover_settings_keys()
        # tasks registers the Celery tasks that services enqueue by name
        # (stmails.durable_queue.send_task).
        from stmails import tasks  # noqa: F401
