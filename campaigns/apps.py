from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"

    def ready(self) -> None:
        # settings_keys registers app.message_rate, ...; tasks registers the Celery
        # tasks that services enqueue by name (stmails.durable_queue.send_task).
        from campaigns import settings_keys, tasks  # noqa: F401
