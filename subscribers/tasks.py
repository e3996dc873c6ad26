"""Celery tasks for subscribers: thin wrappers that take ids and call subscribers.imports.jobs
(and the tallies' compaction)."""

from __future__ import annotations

from celery import shared_task

from subscribers import tallies
from subscribers.imports import jobs


@shared_task(name="subscribers.tasks.run_import")
def run_import(*, job_id: int) -> str:
    return jobs.run_import(job_id).status


@shared_task(name="subscribers.tasks.clean_stale_imports")
def clean_stale_imports() -> int:
    return jobs.clean_stale_imports()


@shared_task(name="subscribers.tasks.compact_tallies")
def compact_tallies() -> int:
    """Fold the subscriber tallies' rows (returns how many were read)."""
    return tallies.compact()[0]
