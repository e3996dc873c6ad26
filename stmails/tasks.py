from __future__ import annotations

from dataclasses import asdict

from celery import shared_task
from celery.signals import (
    heartbeat_sent,
    task_prerun,
    worker_process_init,
    worker_ready,
)
from django.utils import timezone

from stmails import outbox, runtime_logging
from stmails.event_hooks import delivery
from stmails.models import Heartbeat


def record_heartbeat(name: str) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})


@shared_task
def record_beat_heartbeat() -> None:
    """Scheduled by beat and run by a worker: proves both are alive."""
    record_heartbeat("beat")
    record_heartbeat("worker")


@worker_process_init.connect
def _load_url_patterns(**kwargs) -> None:
    """Mail links are reversed URLs: load the URLconf when a pool process
    starts, not on its first message (a second on a busy machine, which a
    campaign's first messages waited for)."""
    from django.urls import get_resolver

    get_resolver().reverse_dict  # noqa: B018 (loads the patterns)


@worker_ready.connect
def _worker_ready(**kwargs) -> None:
    record_heartbeat("worker")


@heartbeat_sent.connect
def _worker_heartbeat(**kwargs) -> None:
    record_heartbeat("worker")


@shared_task(name="stmails.tasks.send_mail", acks_late=True, ignore_result=True)
def send_mail(*, mail_id: int) -> str:
    """Send one outgoing mail; the row's status makes a redelivery harmless."""
    return outbox.deliver_mail(mail_id)


@shared_task(name="stmails.tasks.send_due_mail", ignore_result=True)
def send_due_mail() -> dict:
    """Beat: retries that are due, lost queue messages, rows of dead workers."""
    return asdict(outbox.send_due_mail())


@shared_task(name="stmails.tasks.deliver_event", acks_late=True, ignore_result=True)
def deliver_event(*, delivery_id: int) -> str:
    """POST one event webhook; the row's status makes a redelivery harmless."""
    return delivery.deliver(delivery_id)


@shared_task(name="stmails.tasks.deliver_due_events", ignore_result=True)
def deliver_due_events() -> dict:
    """Beat: event webhook retries that are due, lost messages, dead workers."""
    return asdict(delivery.deliver_due())


@task_prerun.connect
def sync_log_settings(**_kwargs) -> None:
    """Settings → Logging reaches workers too, within a few seconds of a change."""
    runtime_logging.sync_from_settings()
