from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        from webhooks import (
            alert_settings_keys,  # noqa: F401  (alerts.*, Settings → Alerts)
            settings_keys,  # noqa: F401  (registers bounce.<provider> keys)
            settings_keys_wave2,  # noqa: F401  (bounce.custom_providers)
            tasks,  # noqa: F401  (enqueued by name: stmails.durable_queue.send_task)
        )
