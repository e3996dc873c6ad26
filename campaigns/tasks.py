"""Campaign sending tasks: thin, they take ids (see campaigns.sending)."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from campaigns.sending import engine, sender
from campaigns.tracking import fold


@shared_task(name="campaigns.tasks.send_campaign", acks_late=True, ignore_result=True)
def send_campaign(*, campaign_id: int, slot: int = 0, slots: int = 1) -> dict:
    """Send one slot's share of a running campaign; runs again when told to."""
    result = sender.send_campaign(campaign_id, slot, slots)
    # Eager mode (tests, no worker) would recurse at once: beat restarts it.
    if result.again_in is not None and not send_campaign.app.conf.task_always_eager:
        send_campaign.apply_async(
            kwargs={"campaign_id": campaign_id, "slot": slot, "slots": slots},
            countdown=result.again_in,
        )
    return asdict(result)


@shared_task(name="campaigns.tasks.recover_stalled_campaigns", ignore_result=True)
def recover_stalled_campaigns() -> dict:
    """Beat: rows of dead workers, and running campaigns whose tasks got lost."""
    return engine.recover_stalled()


@shared_task(name="campaigns.tasks.fold_tracking_hits", ignore_result=True)
def fold_tracking_hits() -> dict:
    """Beat: count the tracking endpoints' raw hits (campaigns.tracking.fold)."""
    return fold.fold_hits().as_dict()
