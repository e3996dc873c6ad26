"""The alert rules: each reads the database and lists the conditions true now.

A rule is a function `(RuleContext) -> list[Condition] | None`: the conditions
that hold right now, or None when its threshold switches it off. Rules only
read; monitoring/alerts/services.py turns their answers into incidents.

A condition's `key` is stable ("campaign_bounce_rate:42"): the same problem
gives the same key on every run, so it is one incident however long it lasts,
and it recovers when a run no longer reports the key.

Adding a rule: write the function, add a `Rule` to RULES, and register its
threshold as an `alerts.<name>` key in monitoring/settings_keys.py (every
`alerts.*` key is in `ctx.settings`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q

from bounces.models import Bounce, BounceType, MailboxScan, UnmatchedBounce
from campaigns.models import Campaign, Delivery
from monitoring.dashboard.states import configured_sources
from monitoring.health.queue_status import describe_age, queue_status
from monitoring.models import ProbeRun
from stmails import config
from webhooks.models import WebhookEvent
from webhooks.providers.base import IGNORED

# Campaigns still sending, or finished (or paused) this recently, are watched.
ACTIVE_WINDOW = timedelta(days=7)
# "Rising": the last hour is above the threshold AND this many times the hourly
# average of the 24 hours before it, so a steady trickle never alerts.
UNMATCHED_RISE_FACTOR = 3


@dataclass(frozen=True)
class Condition:
    key: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleContext:
    now: datetime
    settings: dict[str, Any]  # every alerts.* key

    def setting(self, name: str) -> Any:
        return self.settings[f"alerts.{name}"]


Check = Callable[[RuleContext], list[Condition] | None]


@dataclass(frozen=True)
class Rule:
    slug: str
    title: str
    check: Check


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


# --- campaigns ----------------------------------------------------------------------


def _active_campaigns(ctx: RuleContext) -> list[Campaign]:
    since = ctx.now - ACTIVE_WINDOW
    status = Campaign.Status
    return list(
        Campaign.objects.filter(
            Q(status=status.RUNNING)
            | Q(status=status.PAUSED, updated_at__gte=since)
            | Q(finished_at__gte=since),
            sent__gte=ctx.setting("min_campaign_sent"),
        ).only("id", "name", "sent", "status")
    )


def _campaign_rate(ctx: RuleContext, slug: str, btype: str, what: str):
    threshold = ctx.setting(slug)
    if threshold <= 0:
        return None
    campaigns = {c.pk: c for c in _active_campaigns(ctx)}
    if not campaigns:
        return []
    # Distinct addresses: a subscriber whose mail bounced twice counts once.
    counts = dict(
        Bounce.objects.filter(campaign_id__in=list(campaigns), type=btype)
        .values_list("campaign_id")
        .annotate(n=Count("subscriber_id", distinct=True))
        .order_by()
    )
    out = []
    for pk, n in sorted(counts.items()):
        campaign = campaigns[pk]
        rate = 100.0 * n / campaign.sent
        if rate > threshold:
            out.append(
                Condition(
                    f"{slug}:{pk}",
                    f"Campaign “{campaign.name}”: {what} rate {rate:.2f}% "
                    f"(over {threshold:g}%)",
                    {
                        "campaign_id": pk,
                        "campaign": campaign.name,
                        "campaign_status": campaign.status,
                        "sent": campaign.sent,
                        what + "s": n,
                        "rate_percent": round(rate, 3),
                        "threshold_percent": threshold,
                    },
                )
            )
    return out


def campaign_bounce_rate(ctx: RuleContext) -> list[Condition] | None:
    """Addresses with a hard bounce / mails sent, over alerts.campaign_bounce_rate."""
    return _campaign_rate(ctx, "campaign_bounce_rate", BounceType.HARD, "bounce")


def campaign_complaint_rate(ctx: RuleContext) -> list[Condition] | None:
    """Complaining addresses / mails sent, over alerts.campaign_complaint_rate."""
    return _campaign_rate(
        ctx, "campaign_complaint_rate", BounceType.COMPLAINT, "complaint"
    )


# --- bounce mailboxes ---------------------------------------------------------------


def mailbox_failed_scans(ctx: RuleContext) -> list[Condition] | None:
    """An enabled mailbox whose last N finished scans all failed.

    Running, abandoned (killed worker) and dry-run scans neither count nor break
    the series. Disabled mailboxes are not scanned, so they cannot recover:
    they are left out.
    """
    n = ctx.setting("mailbox_failed_scans")
    if n <= 0:
        return None
    if not config.get_value("bounce.enabled"):
        return []
    out = []
    for box in config.get_value("bounce.mailboxes"):
        if not box.get("enabled"):
            continue
        last = list(
            MailboxScan.objects.filter(
                mailbox_uuid=box["uuid"],
                dry_run=False,
                status__in=(MailboxScan.Status.FINISHED, MailboxScan.Status.FAILED),
            ).order_by("-started_at", "-id")[:n]
        )
        if len(last) < n or any(s.status != MailboxScan.Status.FAILED for s in last):
            continue
        name = box.get("name") or box.get("host") or box["uuid"]
        out.append(
            Condition(
                f"mailbox_failed_scans:{box['uuid']}",
                f"Bounce mailbox {name}: the last {n} scans failed ({last[0].error})",
                {
                    "mailbox_uuid": box["uuid"],
                    "mailbox": name,
                    "failed_scans": n,
                    "last_error": last[0].error,
                    "last_scan_at": _iso(last[0].started_at),
                },
            )
        )
    return out


# --- webhook providers --------------------------------------------------------------


def provider_silent(ctx: RuleContext) -> list[Condition] | None:
    """An enabled provider that sent events before, and none for H hours while
    at least alerts.min_campaign_sent campaign mails went out.

    A provider that never sent anything is left out: it may simply not be the
    one campaigns go through.
    """
    hours = ctx.setting("provider_silent_hours")
    if hours <= 0:
        return None
    since = ctx.now - timedelta(hours=hours)
    if not config.get_value("bounce.enabled"):
        return []
    sent = Delivery.objects.filter(
        status=Delivery.Status.SENT, sent_at__gte=since, sent_at__lte=ctx.now
    ).count()
    if sent < ctx.setting("min_campaign_sent"):
        return []
    out = []
    for name in configured_sources().enabled_providers:
        last = (
            WebhookEvent.objects.filter(provider=name)
            .order_by("-received_at")
            .values_list("received_at", flat=True)
            .first()
        )
        if last is None or last >= since:
            continue
        out.append(
            Condition(
                f"provider_silent:{name}",
                f"Provider {name}: no webhook event for {hours} h while "
                f"{sent} campaign mails went out",
                {
                    "provider": name,
                    "last_event_at": _iso(last),
                    "silent_hours": hours,
                    "campaign_mails_sent": sent,
                },
            )
        )
    return out


# --- outgoing queue -----------------------------------------------------------------


def queue_stuck(ctx: RuleContext) -> list[Condition] | None:
    """The oldest unsent mail of the outgoing queue (monitoring.health.queue_status) is
    older than alerts.queue_stuck_minutes. The alert mail itself waits in that
    queue: the alert.opened event webhook is the channel that still gets through."""
    minutes = ctx.setting("queue_stuck_minutes")
    if minutes <= 0:
        return None
    stuck_after = timedelta(minutes=minutes)
    status = queue_status(now=ctx.now, stuck_after=stuck_after)
    age = status.oldest_queued_age
    if age is None or age <= stuck_after:
        return []
    return [
        Condition(
            "queue_stuck",
            f"Outgoing mail is stuck: the oldest unsent mail is "
            f"{describe_age(age)} old",
            {
                "pending": status.pending,
                "oldest_queued_at": _iso(status.oldest_queued_at),
                "threshold_minutes": minutes,
                "problems": status.problems,
            },
        )
    ]


# --- unmatched bounces --------------------------------------------------------------


def _unmatched_between(start: datetime, end: datetime) -> int:
    """Unmatched mailbox bounces plus provider bounce events for unknown
    addresses (stored as ignored, though their type is a bounce type)."""
    # A provider's misses are counted from its inbox (also those from before
    # they were listed as unmatched).
    mailbox = UnmatchedBounce.objects.filter(
        created_at__gt=start, created_at__lte=end
    ).exclude(origin="provider")
    provider = WebhookEvent.objects.filter(
        status=WebhookEvent.Status.IGNORED,
        received_at__gt=start,
        received_at__lte=end,
    ).exclude(type=IGNORED)
    return mailbox.count() + provider.count()


def unmatched_rising(ctx: RuleContext) -> list[Condition] | None:
    """Unmatched bounces of the last hour over alerts.unmatched_per_hour and over
    UNMATCHED_RISE_FACTOR times the hourly average of the 24 hours before."""
    limit = ctx.setting("unmatched_per_hour")
    if limit <= 0:
        return None
    hour_ago = ctx.now - timedelta(hours=1)
    last_hour = _unmatched_between(hour_ago, ctx.now)
    if last_hour <= limit:
        return []
    before = _unmatched_between(hour_ago - timedelta(hours=24), hour_ago)
    average = before / 24
    if last_hour <= UNMATCHED_RISE_FACTOR * average:
        return []
    return [
        Condition(
            "unmatched_rising",
            f"Unmatched bounces rising: {last_hour} in the last hour "
            f"(24 h average {average:.1f} per hour)",
            {
                "last_hour": last_hour,
                "hourly_average_24h": round(average, 2),
                "threshold_per_hour": limit,
                "rise_factor": UNMATCHED_RISE_FACTOR,
            },
        )
    ]


# --- the self-test ------------------------------------------------------------------


def selftest_failed(ctx: RuleContext) -> list[Condition] | None:
    """The newest finished self-test run (monitoring.selftest.probe) failed; off with the probe."""
    if not config.get_value("probe.enabled"):
        return None
    run = (
        ProbeRun.objects.filter(
            kind=ProbeRun.Kind.SELFTEST,
            status__in=[ProbeRun.Status.PASSED, ProbeRun.Status.FAILED],
        )
        .order_by("-started_at", "-id")
        .first()
    )
    if run is None or run.status != ProbeRun.Status.FAILED:
        return []
    step = run.failed_step or "unknown step"
    return [
        Condition(
            "selftest_failed",
            f"Self-test failed at step {step!r}: {run.error or 'no detail'}",
            {
                "run_id": run.id,
                "failed_step": run.failed_step,
                "error": run.error,
                "started_at": _iso(run.started_at),
            },
        )
    ]


RULES: dict[str, Rule] = {
    r.slug: r
    for r in (
        Rule("campaign_bounce_rate", "Campaign bounce rate", campaign_bounce_rate),
        Rule(
            "campaign_complaint_rate",
            "Campaign complaint rate",
            campaign_complaint_rate,
        ),
        Rule("mailbox_failed_scans", "Bounce mailbox failing", mailbox_failed_scans),
        Rule("provider_silent", "Webhook provider silent", provider_silent),
        Rule("queue_stuck", "Mail stuck in the queue", queue_stuck),
        Rule("unmatched_rising", "Unmatched bounces rising", unmatched_rising),
        Rule("selftest_failed", "Self-test failed", selftest_failed),
    )
}


def alert_settings() -> dict[str, Any]:
    """Every alerts.* key, read in one query."""
    return config.get_values(*(n for n in config.REGISTRY if n.startswith("alerts.")))


def rule_title(slug: str) -> str:
    rule = RULES.get(slug)
    return rule.title if rule else slug
