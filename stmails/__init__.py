"""The project package, also the "stmails" app (core models, settings, tasks).

It does not import the Celery app (the usual Django recipe puts
`from .celery import app` here): every `stmails.*` import runs this file, and
`manage.py parse_webhook` imports stmails.config without Django or Celery
(webhooks.parse_cli). stmails/apps.py creates the app instead.
"""
