from django.apps import AppConfig
from django.db.models.signals import post_migrate


def adopt_stored_keys(sender, using="default", **kwargs) -> None:
    """After each migrate (an upgrade brings new keys): keys stored while
    stmails did not implement them take effect (stmails.config.unused)."""
    from django.db import connections

    from stmails.config import unused
    from stmails.models import UnusedSetting

    if UnusedSetting._meta.db_table in connections[using].introspection.table_names():
        unused.adopt()


class StmailsConfig(AppConfig):
    name = "stmails"
    verbose_name = "stmails core"

    def ready(self) -> None:
        from stmails.config.discovery import discover_settings_keys

        # Every app's settings_keys.py registers its keys (stmails' own too).
        discover_settings_keys()
        post_migrate.connect(adopt_stored_keys, sender=self)
        # tasks registers the Celery tasks that services enqueue by name
        # (stmails.durable_queue.send_task).
        from stmails import tasks  # noqa: F401
