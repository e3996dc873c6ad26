from django.apps import AppConfig


class BouncesConfig(AppConfig):
    name = "bounces"

    def ready(self) -> None:
        from bounces import settings_keys  # noqa: F401  (registers the bounce.* keys)
