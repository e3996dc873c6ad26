from django.apps import AppConfig
from django.db.models.signals import post_migrate

# The Celery app is created here, as Django loads its apps, rather than on
# importing the stmails package (the usual recipe; stmails/__init__.py says why
# not). A @shared_task runs on the current app when it is used, and Celery's
# Django fix-up makes the first app created the default of every thread: so it
# must exist before anything touches a task, which holds here, before any
# app's models or ready(). `celery -A stmails` needs no help: the package has
# no `app` attribute, so Celery imports stmails.celery itself.
# tests/stmails/test_celery_app.py checks both kinds of process.
from stmails.celery import app as celery_app  # noqa: F401


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
