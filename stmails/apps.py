from django.apps import AppConfig


class StmailsConfig(AppConfig):
    name = "stmails"
    verbose_name = "stmails core"

    def ready(self) -> None:
        # settings_keys registers the keys; tasks registers the Celery tasks that
        # services enqueue by name (stmails.durable_queue.send_task).
        from stmails import settings_keys, tasks  # noqa: F401
