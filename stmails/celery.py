"""The Celery app. Beat's schedule lives here and nowhere else.

Contract for periodic tasks (as pretix's periodic_task): each is idempotent and
harmless when run more often than scheduled; it finds due work and enqueues ids.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stmails.settings")

app = Celery("stmails")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Lanes: each queue is consumed by its own worker (bin/run, docker-compose.yml),
# so bulk work never holds the default queue, where system mail (opt-in
# confirmations, test sends, alerts, transactional), beat's heartbeat, webhook
# processing and event hooks run. Mailbox scans also carry time limits: a slow
# or stuck scan holds only its own lane. Campaign slots and CSV imports run for
# minutes; each has a lane of its own, so neither waits behind the other.
DEFAULT_QUEUE = "celery"
SCAN_QUEUE = "scans"
CAMPAIGN_QUEUE = "campaigns"
IMPORT_QUEUE = "imports"
app.conf.task_default_queue = DEFAULT_QUEUE
app.conf.task_routes = {
    "bounces.tasks.scan_mailbox": {"queue": SCAN_QUEUE},
    "campaigns.tasks.send_campaign": {"queue": CAMPAIGN_QUEUE},
    "subscribers.tasks.run_import": {"queue": IMPORT_QUEUE},
}

app.conf.beat_schedule = {
    "record-heartbeat": {
        "task": "stmails.tasks.record_beat_heartbeat",
        "schedule": 60.0,
    },
    "send-due-mail": {
        "task": "stmails.tasks.send_due_mail",
        "schedule": 15.0,
    },
    "deliver-due-event-webhooks": {
        "task": "stmails.tasks.deliver_due_events",
        "schedule": 30.0,
    },
    "record-smtp-rejections": {
        "task": "bounces.tasks.record_smtp_rejections",
        "schedule": 300.0,
    },
    "reapply-bounce-thresholds": {
        "task": "bounces.tasks.reapply_thresholds",
        "schedule": 900.0,
    },
    "scan-bounce-mailboxes": {
        "task": "bounces.tasks.scan_due_mailboxes",
        "schedule": 60.0,
    },
    # The self-test's and the alerts' tasks live in monitoring/tasks.py under
    # the names they had in bounces and webhooks (queued messages use them).
    "run-selftest-probe": {
        "task": "bounces.tasks.run_due_selftest",
        "schedule": 300.0,
    },
    "check-probe-runs": {
        "task": "bounces.tasks.check_probe_runs",
        "schedule": 60.0,
    },
    "retry-webhook-events": {
        "task": "webhooks.tasks.retry_webhook_events",
        "schedule": 60.0,
    },
    "evaluate-alerts": {
        "task": "webhooks.tasks.evaluate_alerts",
        "schedule": 60.0,
    },
    "recover-stalled-campaigns": {
        "task": "campaigns.tasks.recover_stalled_campaigns",
        "schedule": 30.0,
    },
    # Each write to subscribers adds tally rows; folded here so that counting
    # reads a few hundred rows (subscribers.tallies).
    "compact-subscriber-tallies": {
        "task": "subscribers.tasks.compact_tallies",
        "schedule": 60.0,
    },
    "clean-stale-imports": {
        "task": "subscribers.tasks.clean_stale_imports",
        "schedule": 3600.0,
    },
    # Tracking hits are stored by the endpoints and counted here (store first,
    # count later): views and clicks show up within this interval.
    "fold-tracking-hits": {
        "task": "campaigns.tasks.fold_tracking_hits",
        "schedule": 10.0,
    },
}
