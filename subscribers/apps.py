from django.apps import AppConfig


class SubscribersConfig(AppConfig):
    name = "subscribers"

    def ready(self) -> None:
        # settings_keys registers app.optin_*; tasks registers the Celery tasks
        # that services enqueue by name (stmails.durable_queue.send_task).
        from subscribers import settings_keys, tasks  # noqa: F401
