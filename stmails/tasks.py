from __future__ import annotations

from celery import shared_task
from celery.signals import heartbeat_sent, worker_ready
from django.utils import timezone

from stmails.models import Heartbeat


def record_heartbeat(name: str) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})


@shared_task
def record_beat_heartbeat() -> None:
    """Scheduled by beat and run by a worker: proves both are alive."""
    record_heartbeat("beat")
    record_heartbeat("worker")


@worker_ready.connect
def _worker_ready(**kwargs) -> None:
    record_heartbeat("worker")


@heartbeat_sent.connect
def _worker_heartbeat(**kwargs) -> None:
    record_heartbeat("worker")
