from django.apps import AppConfig


class SubscribersConfig(AppConfig):
    name = "subscribers"

    def ready(self) -> None:
        from subscribers import settings_keys  # noqa: F401  (registers app.optin_*)
