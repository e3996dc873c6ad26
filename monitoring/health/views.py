"""The Health page: is mail going out, and if not, why (as `check_queue`)."""

from __future__ import annotations

from django.shortcuts import render

from monitoring.health.queue_status import describe_age, queue_status
from stmails.models import OutgoingMail


def health_status(request):
    status = queue_status()
    waiting = OutgoingMail.objects.filter(
        status__in=[OutgoingMail.Status.AWAITING_RETRY, OutgoingMail.Status.QUEUED]
    ).order_by("created_at")[:20]
    context = {
        "nav": "health",
        "status": status,
        "oldest_age": describe_age(status.oldest_queued_age),
        "worker_age": _age(status, status.worker_seen_at),
        "beat_age": _age(status, status.beat_seen_at),
        "waiting": waiting,
    }
    return render(request, "monitoring/health.html", context)


def _age(status, seen_at) -> str:
    return describe_age(status.now - seen_at) if seen_at else ""
