"""The circuit breaker: a campaign pauses itself when its hard bounce or
complaint rate reaches the thresholds of Settings, and tells the admins.

The rate is over the messages the campaign has handed to servers so far (sent
plus failed); it is judged only after campaign.breaker_min_sent of them, so a
first unlucky bounce does not stop a campaign. While the rate stays at or
above a threshold, a resumed campaign pauses again at the next chunk: to send
anyway, raise the threshold (or turn the breaker off) in Settings.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.urls import reverse

from campaigns.models import Campaign, Delivery
from campaigns.sending import engine
from campaigns.stats import bounce_counts
from stmails import config, outbox

log = logging.getLogger(__name__)

CHECKS = (
    ("hard", "campaign.breaker_hard_bounce_rate", "hard bounces"),
    ("complaint", "campaign.breaker_complaint_rate", "complaints"),
)


def tripped(campaign_id: int) -> str:
    """Why the campaign must pause now, or ""."""
    values = config.get_values(
        "campaign.breaker_enabled", "campaign.breaker_min_sent",
        *(key for _, key, _ in CHECKS),
    )  # fmt: skip
    if not values["campaign.breaker_enabled"]:
        return ""
    handed = Delivery.objects.filter(
        campaign_id=campaign_id,
        status__in=(Delivery.Status.SENT, Delivery.Status.FAILED),
    ).count()
    if handed < values["campaign.breaker_min_sent"]:
        return ""
    counts = bounce_counts([campaign_id])[campaign_id]
    for kind, key, label in CHECKS:
        threshold = values[key]
        rate = 100.0 * counts[kind] / handed
        if threshold and rate >= threshold:
            return (
                f"circuit breaker: {counts[kind]} {label} for {handed} messages "
                f"({rate:.2f}%, threshold {threshold:g}% in Settings)"
            )
    return ""


def check(campaign_id: int) -> bool:
    """Pause the campaign and alert the admins if the breaker trips."""
    reason = tripped(campaign_id)
    if not reason or not engine.set_status(campaign_id, Campaign.Status.PAUSED, reason):
        return False
    log.warning("campaign %s paused: %s", campaign_id, reason)
    alert_admins(Campaign.objects.get(pk=campaign_id), reason)
    return True


def alert_admins(campaign: Campaign, reason: str) -> None:
    admins = (
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    url = config.get_value("app.root_url") + reverse(
        "campaigns:detail", args=[campaign.pk]
    )
    for address in admins:
        outbox.queue_mail(
            to=address,
            kind="alert",
            subject=f"Campaign paused: {campaign.name}",
            text=(
                f"The campaign “{campaign.name}” was paused.\n\n{reason}.\n\n"
                f"Review it: {url}\n"
            ),
        )
