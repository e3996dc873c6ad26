"""Beat: re-apply the bounce thresholds to everyone (see stmails/celery.py for the schedule)."""

from __future__ import annotations

from celery import shared_task

from bounces import services


@shared_task(name="bounces.tasks.reapply_thresholds")
def reapply_thresholds() -> dict:
    result = services.reapply_thresholds()
    return {
        "checked": result.checked,
        "actions": result.actions,
        "deleted_bounces": result.deleted_bounces,
    }
