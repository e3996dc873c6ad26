from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        # settings_keys.py is found by stmails.config.discovery.
        from webhooks import tasks  # noqa: F401  (enqueued by name: durable_queue)
