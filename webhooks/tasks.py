"""Celery tasks for provider webhooks: thin, take ids, call webhooks.services."""

from __future__ import annotations

from celery import shared_task

from webhooks import services

RETRY_DELAYS = (30, 120, 600, 1800, 3600, 3600, 3600)  # seconds, per attempt


@shared_task(
    bind=True,
    name="webhooks.tasks.process_webhook_event",
    max_retries=len(RETRY_DELAYS),
)
def process_webhook_event(self, *, event_id: int) -> str | None:
    status = services.process_event(event_id)
    if status == services.Status.FAILED and self.request.retries < self.max_retries:
        raise self.retry(countdown=RETRY_DELAYS[self.request.retries])
    return status


@shared_task(name="webhooks.tasks.process_webhook_events")
def process_webhook_events(
    *, event_ids: list[int], retry_failed: bool = True
) -> dict[str, int]:
    """A group of events (a stored request: a SendGrid batch is up to hundreds).

    Its failures retry one by one, unless the beat job (itself the retry) sent it.
    """
    counts, failed = services.process_events(event_ids)
    if retry_failed:
        for event_id in failed:
            process_webhook_event.apply_async(
                kwargs={"event_id": event_id}, countdown=RETRY_DELAYS[0]
            )
    return counts


@shared_task(name="webhooks.tasks.retry_webhook_events")
def retry_webhook_events() -> int:
    """Beat: failed events under the attempt cap and stuck received ones, in groups; prunes."""
    ids = services.due_event_ids()
    for start in range(0, len(ids), services.GROUP_SIZE):
        process_webhook_events.delay(
            event_ids=ids[start : start + services.GROUP_SIZE], retry_failed=False
        )
    services.prune_events()
    return len(ids)
