from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"

    def ready(self) -> None:
        # tasks registers the Celery tasks that services enqueue by name
        # (stmails.durable_queue.send_task). settings_keys.py is found by
        # stmails.config.discovery.
        from campaigns import tasks  # noqa: F401
