from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """The dashboard, /metrics, alerts, the Health page, deliverability and the
    self-test: the one app that may read every other (docs/development/layers.md)."""

    name = "monitoring"

    def ready(self) -> None:
        from monitoring import (
            tasks,  # noqa: F401  (beat runs them by name: stmails/celery.py)
        )
