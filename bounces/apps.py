from django.apps import AppConfig


class BouncesConfig(AppConfig):
    name = "bounces"

    def ready(self) -> None:
        # settings_keys.py is found by stmails.config.discovery.
        from bounces import (
            smtp_rejections,  # noqa: F401  (connects smtp_rejection)
            tasks,  # noqa: F401  (enqueued by name: stmails.durable_queue.send_task)
        )
