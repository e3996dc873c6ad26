"""The dashboard's mail flow over a period: sent, bounces by source, unmatched, actions.

It reads the tables of every app, which only monitoring may (like
monitoring.metrics). Each block is one or two aggregate queries
bounded by the period on an indexed date column; nothing is queried per row.
The rows it fills are in rows.py; the state of each source (scans, provider
events, queue, heartbeats) is in states.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.fields.json import KeyTextTransform

from bounces import chart
from bounces.mailboxes.validation import MAILBOX_TYPES
from bounces.models import Bounce, BounceAction, UnmatchedBounce
from campaigns.models import Campaign, Delivery
from monitoring.dashboard.period import Period
from monitoring.dashboard.rows import (
    TYPES,
    CampaignRow,
    Flow,
    SourceRow,
    UnmatchedRow,
)
from stmails.models import OutgoingMail
from webhooks.models import WebhookEvent
from webhooks.providers.custom import SOURCE_PREFIX
from webhooks.providers.registry import PROVIDERS

MAILBOX_SOURCES = MAILBOX_TYPES  # Bounce.source of a mailbox scan: the protocol
# A cancelled campaign's last chunk can finish sending just after finished_at.
FINISH_SLACK = timedelta(hours=1)
CAMPAIGN_ROWS = 20
ACTION_LABELS = {
    BounceAction.Action.BLOCKLIST: "blocklisted",
    BounceAction.Action.UNSUBSCRIBE: "unsubscribed",
    BounceAction.Action.DELETE: "deleted",
}
WEBHOOK_UNMATCHED = "subscriber not found (provider event)"


def _in(period: Period, name: str) -> dict[str, datetime]:
    return {f"{name}__gte": period.start, f"{name}__lt": period.end}


# --- sent ---------------------------------------------------------------------------


def _campaign_window(period: Period):
    """Campaigns that may have sent in the period.

    Delivery.sent_at has no index; (campaign, status) has one, so the deliveries
    are reached through the few campaigns running during the period instead of
    a scan of every delivery ever made.
    """
    return Campaign.objects.filter(
        Q(started_at__isnull=True) | Q(started_at__lt=period.end),
        Q(finished_at__isnull=True) | Q(finished_at__gte=period.start - FINISH_SLACK),
    ).values("pk")


def _sent_deliveries(period: Period):
    return Delivery.objects.filter(
        campaign_id__in=_campaign_window(period), status=Delivery.Status.SENT
    )


def _sent_mail():
    return OutgoingMail.objects.filter(status=OutgoingMail.Status.SENT)


# --- bounces by source ----------------------------------------------------------------


def classify(source: str) -> str:
    """The kind of a Bounce.source value: mailbox, smtp, provider or api."""
    if source in MAILBOX_SOURCES:
        return "mailbox"
    if source == "smtp":
        return "smtp"
    if source in PROVIDERS or source.startswith(SOURCE_PREFIX):
        return "provider"
    return "api"  # POST /webhooks/bounce names its own source ("api", "my_script")


def provider_label(name: str, custom_names: dict[str, str]) -> str:
    if name in PROVIDERS:
        return PROVIDERS[name].label or name
    if name.startswith(SOURCE_PREFIX):
        slug = name[len(SOURCE_PREFIX) :]
        return f"{custom_names.get(slug) or slug} (custom)"
    return name


class _Sources:
    """Source rows in a stable order: mailboxes, providers, API, SMTP."""

    def __init__(self, mailboxes: list[str], providers: list[str], labels: dict):
        self.rows: dict[tuple[str, str], SourceRow] = {}
        self.labels = labels
        self.api_names: set[str] = set()
        for name in mailboxes:
            self.get("mailbox", name)
        for name in providers:
            self.get("provider", name)
        self.get("api", "api")
        self.get("smtp", "smtp")

    def get(self, kind: str, key: str) -> SourceRow:
        row = self.rows.get((kind, key))
        if row is None:
            label = {
                "mailbox": f"Mailbox {key}",
                "provider": provider_label(key, self.labels),
                "api": "API",
                "smtp": "SMTP rejections",
            }[kind]
            row = self.rows[(kind, key)] = SourceRow(kind, key, label)
        return row

    def ordered(self) -> list[SourceRow]:
        order = {"mailbox": 0, "provider": 1, "api": 2, "smtp": 3}
        api = self.rows[("api", "api")]
        api.detail = ", ".join(sorted(self.api_names)[:5])
        return sorted(self.rows.values(), key=lambda r: order[r.kind])


def _bounce_rows(period: Period):
    """Bounces by source, type and campaign: one pass over the period."""
    return (
        Bounce.objects.filter(**_in(period, "created_at"))
        .values("source", "type", "campaign_id")
        .annotate(n=Count("id"))
        .order_by()
    )


def _mailbox_rows(period: Period):
    """Mailbox bounces by the mailbox's name, which only meta holds.

    A query of its own: grouped with the others, PostgreSQL cannot estimate the
    JSON expression's distinct values and sorts every row of the period on disk
    instead of hashing a few groups (4x slower at 150,000 bounces).
    """
    return (
        Bounce.objects.filter(source__in=MAILBOX_SOURCES, **_in(period, "created_at"))
        .values("type", mailbox=KeyTextTransform("mailbox", "meta"))
        .annotate(n=Count("id"))
        .order_by()
    )


def _unmatched_rows(period: Period, sources: _Sources) -> tuple[list, dict]:
    rows: dict[tuple[str, str], int] = defaultdict(int)
    by_type: dict[str, int] = defaultdict(int)
    reasons = dict(UnmatchedBounce.Reason.choices)
    # A provider's misses are counted from its webhook inbox just below (which
    # also holds those from before they were listed as unmatched).
    entry_rows = (
        UnmatchedBounce.objects.filter(**_in(period, "created_at"))
        .exclude(origin="provider")
        .values("origin", "source", "mailbox_name", "reason", "type")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in entry_rows:
        if row["origin"] in ("api", "smtp"):
            source = sources.get(row["origin"], row["origin"])
        else:
            source = sources.get("mailbox", row["mailbox_name"] or "?")
        source.unmatched += row["n"]
        rows[(source.label, reasons.get(row["reason"], row["reason"]))] += row["n"]
        by_type[row["type"] or ""] += row["n"]
    # A provider's bounce for an address that is no subscriber: the event is kept,
    # ignored with its error (webhooks.services._apply); no bounce is recorded.
    event_rows = (
        WebhookEvent.objects.filter(
            status=WebhookEvent.Status.IGNORED,
            type__in=TYPES,
            **_in(period, "received_at"),
        )
        .values("provider", "type")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in event_rows:
        source = sources.get("provider", row["provider"])
        source.unmatched += row["n"]
        rows[(source.label, WEBHOOK_UNMATCHED)] += row["n"]
        by_type[row["type"]] += row["n"]
    unmatched = [UnmatchedRow(s, r, n) for (s, r), n in sorted(rows.items())]
    return unmatched, dict(by_type)


# --- campaigns ------------------------------------------------------------------------


def _campaign_rows(
    sent_by_campaign: dict[int, int], bounced: dict[int, dict[str, int]]
) -> tuple[list[CampaignRow], int]:
    def volume(pk: int) -> tuple[int, int, int]:
        return (-sent_by_campaign.get(pk, 0), -sum(bounced.get(pk, {}).values()), -pk)

    ranked = sorted(set(sent_by_campaign) | set(bounced), key=volume)
    shown = ranked[:CAMPAIGN_ROWS]
    campaigns = Campaign.objects.filter(pk__in=shown).only("name", "status", "sent")
    by_id = {c.pk: c for c in campaigns}
    rows = [
        CampaignRow(
            id=pk,
            name=by_id[pk].name,
            status=by_id[pk].status,
            sent_in_period=sent_by_campaign.get(pk, 0),
            sent=by_id[pk].sent,
            counts=bounced.get(pk) or dict.fromkeys(TYPES, 0),
        )
        for pk in shown
        if pk in by_id
    ]
    return rows, len(ranked) - len(shown)


# --- the whole picture ------------------------------------------------------------------


def _per_day_and_key(qs, period: Period, by: str) -> tuple[list[chart.Day], dict]:
    """Sent rows per day and `by` value (one query): the days and the totals per value."""
    days = chart.daily_counts(
        qs, period.first_day, period.last_day,
        field="sent_at", by=by, series=None, since=period.start, until=period.end,
    )  # fmt: skip
    totals: dict[Any, int] = defaultdict(int)
    for day in days:
        for key, n in day.counts.items():
            totals[key] += n
    return days, dict(totals)


def mail_flow(
    period: Period,
    *,
    mailboxes: Sequence[str] = (),
    providers: Sequence[str] = (),
    custom_names: dict[str, str] | None = None,
) -> Flow:
    """Every block of the picture for `period`.

    `mailboxes` and `providers` (configured ones) get a row even without a
    bounce; sources seen in the period are added after them.
    """
    campaign_days, sent_by_campaign = _per_day_and_key(
        _sent_deliveries(period), period, "campaign_id"
    )
    system_days, system_sent = _per_day_and_key(_sent_mail(), period, "kind")
    daily_sent = [
        chart.Day(c.day, {"campaign": c.total, "system": s.total})
        for c, s in zip(campaign_days, system_days, strict=True)
    ]

    sources = _Sources(list(mailboxes), list(providers), custom_names or {})
    bounced: dict[int, dict[str, int]] = {}
    for row in _bounce_rows(period):
        if row["type"] not in TYPES:
            continue
        if row["campaign_id"] is not None:
            per_type = bounced.setdefault(row["campaign_id"], dict.fromkeys(TYPES, 0))
            per_type[row["type"]] += row["n"]
        kind = classify(row["source"])
        if kind == "mailbox":
            continue  # counted per mailbox below
        if kind == "api":
            sources.api_names.add(row["source"])
        key = "api" if kind == "api" else row["source"]
        sources.get(kind, key).counts[row["type"]] += row["n"]
    for row in _mailbox_rows(period):
        if row["type"] in TYPES:
            sources.get("mailbox", row["mailbox"] or "?").counts[row["type"]] += row[
                "n"
            ]
    unmatched, unmatched_by_type = _unmatched_rows(period, sources)

    actions = dict.fromkeys(ACTION_LABELS.values(), 0)
    reverted = 0
    action_rows = (
        BounceAction.objects.filter(**_in(period, "created_at"))
        .values("action")
        .annotate(
            n=Count("id"), reverted=Count("id", filter=Q(reverted_at__isnull=False))
        )
        .order_by()
    )
    for row in action_rows:
        if row["action"] in ACTION_LABELS:
            actions[ACTION_LABELS[row["action"]]] += row["n"]
            reverted += row["reverted"]

    campaigns, more = _campaign_rows(sent_by_campaign, bounced)
    daily_bounces = chart.daily_counts(
        Bounce.objects.all(), period.first_day, period.last_day,
        since=period.start, until=period.end,
    )  # fmt: skip
    return Flow(
        period=period,
        campaign_sent=sum(sent_by_campaign.values()),
        system_sent=dict(sorted(system_sent.items())),
        sources=sources.ordered(),
        unmatched=unmatched,
        unmatched_by_type=unmatched_by_type,
        actions=actions,
        reverted=reverted,
        campaigns=campaigns,
        more_campaigns=more,
        daily_sent=daily_sent,
        daily_bounces=daily_bounces,
    )
