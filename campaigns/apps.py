from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"

    def ready(self) -> None:
        from campaigns import settings_keys  # noqa: F401  (registers app.message_rate, ...)
