from django.apps import AppConfig


class BouncesConfig(AppConfig):
    name = "bounces"

    def ready(self) -> None:
        from bounces import (
            deliverability_settings_keys,  # noqa: F401  (deliverability.*)
            mailbox_settings_keys,  # noqa: F401  (bounce.mailboxes)
            probe_settings_keys,  # noqa: F401  (probe.*, the self-test)
            settings_keys,  # noqa: F401  (registers the bounce.* keys)
            smtp_rejections,  # noqa: F401  (connects smtp_rejection)
            tasks,  # noqa: F401  (enqueued by name: stmails.durable_queue.send_task)
        )
