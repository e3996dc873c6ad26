"""Celery tasks for monitoring: thin, take ids, call the services.

The names are the ones the tasks had before monitoring had a home (the beat
schedule in stmails/celery.py and messages already queued use them): a task's
name is its interface, its module is not.
"""

from __future__ import annotations

from celery import shared_task

from monitoring.alerts import services as alert_services
from monitoring.selftest import check, probe


@shared_task(name="webhooks.tasks.evaluate_alerts")
def evaluate_alerts() -> dict:
    """Beat: check the alert rules, open/close incidents (their events and mails
    are queued with them). The alert POSTs had no task of their own: they went
    out from this one, so no old task name needs keeping."""
    return alert_services.evaluate_alerts().as_dict()


@shared_task(name="bounces.tasks.run_due_selftest")
def run_due_selftest() -> int | None:
    """Beat: start a self-test when it is enabled and due (selftest/probe.py)."""
    run = probe.run_due_selftest()
    return run.pk if run else None


@shared_task(name="bounces.tasks.check_probe_runs")
def check_probe_runs() -> list[int]:
    """Beat: enqueue one check of each running self-test or round trip."""
    run_ids = probe.running_run_ids()
    for run_id in run_ids:
        check_probe_run.delay(run_id=run_id)
    return run_ids


@shared_task(name="bounces.tasks.check_probe_run")
def check_probe_run(*, run_id: int) -> str:
    """One look in the mailbox; the run's lease makes a duplicate harmless."""
    return check.check_run(run_id).status
