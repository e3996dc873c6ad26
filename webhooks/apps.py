from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        from webhooks import (
            alert_settings_keys,  # noqa: F401  (alerts.*, Settings → Alerts)
            custom_provider_settings_keys,  # noqa: F401  (bounce.custom_providers)
            settings_keys,  # noqa: F401  (registers bounce.<provider> keys)
            tasks,  # noqa: F401  (enqueued by name: stmails.durable_queue.send_task)
        )
