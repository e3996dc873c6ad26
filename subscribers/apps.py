from django.apps import AppConfig


class SubscribersConfig(AppConfig):
    name = "subscribers"

    def ready(self) -> None:
        # tasks registers the Celery tasks that services enqueue by name
        # (stmails.durable_queue.send_task). settings_keys.py is found by
        # stmails.config.discovery.
        from subscribers import tasks  # noqa: F401
