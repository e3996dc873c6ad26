from django.apps import AppConfig


class BouncesConfig(AppConfig):
    name = "bounces"

    def ready(self) -> None:
        from bounces import (
            mailbox_settings_keys,  # noqa: F401  (bounce.mailboxes)
            settings_keys,  # noqa: F401  (registers the bounce.* keys)
            smtp_rejections,  # noqa: F401  (connects smtp_rejection)
        )
