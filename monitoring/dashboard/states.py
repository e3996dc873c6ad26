"""The dashboard's source cards: is each source of bounces and mail alive right now?

Green (ok), amber (warn), red (bad) or grey (off), with the reason in plain
words. Last scan per mailbox and last event per provider are each one query: a
UNION of index-backed "newest row for this key" subqueries.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Model
from django.utils import timezone

from bounces.mailboxes.scanning import STALE_AFTER
from bounces.mailboxes.validation import interval_seconds
from bounces.models import MailboxScan
from campaigns.models import Campaign, Delivery
from monitoring.dashboard.flow import provider_label
from monitoring.health.queue_status import describe_age, queue_status
from stmails import config
from webhooks.models import WebhookEvent
from webhooks.providers.custom import source_name
from webhooks.providers.registry import PROVIDERS

# A provider quiet for longer is worth a look (or a test event).
SILENT_AFTER = timedelta(hours=24)
# Events the worker has not picked up after this long are waiting on it.
EVENTS_WAITING_AFTER = timedelta(minutes=10)
# A scan is overdue after twice its interval plus this (beat runs every minute).
OVERDUE_SLACK = timedelta(minutes=5)


@dataclass
class State:
    kind: str  # bounces | mailbox | provider | queue | worker | beat
    name: str
    level: str  # ok | warn | bad | off
    text: str
    # The moment the text's "… ago" counts from, shown beside it in the one format.
    at: datetime | None = None


@dataclass
class Configured:
    """What the settings say exists: the rows the dashboard shows even when idle."""

    bounce_enabled: bool
    mailboxes: list[dict[str, Any]] = field(default_factory=list)
    providers: dict[str, bool] = field(default_factory=dict)  # name -> enabled
    custom_names: dict[str, str] = field(default_factory=dict)  # slug -> name

    @property
    def mailbox_names(self) -> list[str]:
        return [b["name"] for b in self.mailboxes]

    @property
    def enabled_providers(self) -> list[str]:
        return [name for name, on in self.providers.items() if on]


def configured_sources() -> Configured:
    """Mailboxes and providers from the settings (one read, credentials masked)."""
    masked = config.get_masked_settings()
    providers: dict[str, bool] = {}
    for slug, cls in PROVIDERS.items():
        value = masked.get(cls.settings_key)
        # SES and SendGrid keep listmonk's flat bounce.<x>_enabled boolean.
        providers[slug] = bool(
            value.get("enabled") if isinstance(value, dict) else value
        )
    custom_names = {}
    for endpoint in masked.get("bounce.custom_providers", []):
        providers[source_name(endpoint["slug"])] = bool(endpoint.get("enabled"))
        custom_names[endpoint["slug"]] = endpoint.get("name") or endpoint["slug"]
    return Configured(
        bounce_enabled=bool(masked["bounce.enabled"]),
        mailboxes=list(masked["bounce.mailboxes"]),
        providers=providers,
        custom_names=custom_names,
    )


def latest_rows(
    model: type[Model], key: str, values: list[Any], order: tuple[str, ...], **filters
) -> dict[Any, Model]:
    """The newest row (by `order`) for each of `values` of column `key`, in one query.

    Each part is "pk IN (newest pk for this value LIMIT 1)", which both databases
    answer from the index on `key`; a GROUP BY would read every row.
    """
    parts = [
        model._default_manager.filter(
            pk__in=model._default_manager.filter(**{key: v}, **filters)
            .order_by(*order)
            .values("pk")[:1]
        ).order_by()
        for v in values
    ]
    if not parts:
        return {}
    query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return {getattr(row, key): row for row in query}


def _ago(now: datetime, when: datetime | None) -> str:
    return describe_age(now - when) if when else ""


def _scan_state(box: dict, scan: MailboxScan | None, now: datetime) -> State:
    name = box["name"]
    if not box["enabled"]:
        return State("mailbox", name, "off", "disabled in Settings → Bounce mailboxes")
    if scan is None:
        return State("mailbox", name, "warn", "never scanned")
    started = _ago(now, scan.started_at)
    if scan.status == MailboxScan.Status.RUNNING:
        if now - scan.heartbeat_at > STALE_AFTER:
            return State(
                "mailbox",
                name,
                "warn",
                f"scan started {started} ago, no progress for "
                f"{_ago(now, scan.heartbeat_at)}",
                scan.heartbeat_at,
            )
        return State(
            "mailbox", name, "ok", f"scanning now: {scan.done} of {scan.total} messages"
        )
    ended_at = scan.finished_at or scan.heartbeat_at
    ended = _ago(now, ended_at)
    if scan.status == MailboxScan.Status.FAILED:
        return State(
            "mailbox",
            name,
            "bad",
            f"last scan {ended} ago failed: {scan.error}",
            ended_at,
        )
    if scan.status == MailboxScan.Status.ABANDONED:
        return State(
            "mailbox",
            name,
            "warn",
            f"last scan {ended} ago stopped without finishing",
            ended_at,
        )
    counts = scan.counts or {}
    seen = counts.get("seen", scan.done)
    recorded = sum((counts.get("recorded") or {}).values())
    text = f"last scan {ended} ago: ok, {seen} messages, {recorded} bounces"
    interval = timedelta(seconds=interval_seconds(box["scan_interval"]))
    if now - (scan.finished_at or scan.started_at) > 2 * interval + OVERDUE_SLACK:
        return State(
            "mailbox",
            name,
            "warn",
            f"{text} (overdue: every {box['scan_interval']})",
            ended_at,
        )
    return State("mailbox", name, "ok", text, ended_at)


def _mailbox_states(configured: Configured, now: datetime) -> list[State]:
    boxes = configured.mailboxes
    last = latest_rows(
        MailboxScan,
        "mailbox_uuid",
        [b["uuid"] for b in boxes],
        ("-started_at", "-id"),
        dry_run=False,
    )
    return [_scan_state(b, last.get(uuid.UUID(b["uuid"])), now) for b in boxes]


def _provider_states(configured: Configured, now: datetime) -> list[State]:
    # Problems of every provider, enabled or not, in one query on the status index.
    trouble: dict[str, dict[str, Any]] = {}
    rows = (
        WebhookEvent.objects.filter(
            status__in=(WebhookEvent.Status.FAILED, WebhookEvent.Status.RECEIVED)
        )
        .values("provider", "status")
        .annotate(n=Count("id"), oldest=Min("received_at"))
        .order_by()
    )
    for row in rows:
        trouble.setdefault(row["provider"], {})[row["status"]] = row
    names = configured.enabled_providers + sorted(
        set(trouble) - set(configured.enabled_providers)
    )
    last = latest_rows(WebhookEvent, "provider", names, ("-received_at", "-id"))
    states = []
    for name in names:
        label = provider_label(name, configured.custom_names)
        event = last.get(name)
        if not configured.providers.get(name):
            level, text = "off", "disabled"
        elif event is None:
            level, text = "warn", "no event yet"
        elif now - event.received_at > SILENT_AFTER:
            level, text = "warn", f"no event for {_ago(now, event.received_at)}"
        else:
            level, text = "ok", f"last event {_ago(now, event.received_at)} ago"
        failed = trouble.get(name, {}).get(WebhookEvent.Status.FAILED)
        waiting = trouble.get(name, {}).get(WebhookEvent.Status.RECEIVED)
        if waiting and now - waiting["oldest"] > EVENTS_WAITING_AFTER:
            level = "bad" if level != "off" else level
            text += (
                f"; {waiting['n']} events waiting for the worker, oldest "
                f"{_ago(now, waiting['oldest'])}"
            )
        if failed:
            level = "bad"
            text += f"; {failed['n']} events failed (see Settings → Provider webhooks)"
        at = event.received_at if event is not None else None
        states.append(State("provider", label, level, text, at))
    return states


def _queue_states(now: datetime) -> list[State]:
    status = queue_status(now=now)
    waiting_campaign = Delivery.objects.filter(
        campaign_id__in=Campaign.objects.filter(
            status__in=(Campaign.Status.RUNNING, Campaign.Status.PAUSED)
        ).values("pk"),
        status__in=(Delivery.Status.QUEUED, Delivery.Status.SENDING),
    ).count()
    depth = (
        f"{status.pending} system mails waiting"
        + (
            f", oldest {describe_age(status.oldest_queued_age)}"
            if status.pending
            else ""
        )
        + f"; {waiting_campaign} campaign messages to send"
    )
    if status.problems:
        queue = State("queue", "Queue", "bad", f"{depth}; stuck: {status.problems[0]}")
    else:
        queue = State("queue", "Queue", "ok", depth)
    states = [queue]
    for kind, name, seen, alive in (
        ("worker", "Celery worker", status.worker_seen_at, status.worker_alive),
        ("beat", "Celery beat", status.beat_seen_at, status.beat_alive),
    ):
        if seen is None:
            states.append(State(kind, name, "bad", "never seen (no heartbeat yet)"))
        elif alive:
            states.append(State(kind, name, "ok", f"seen {_ago(now, seen)} ago", seen))
        else:
            states.append(
                State(kind, name, "bad", f"no heartbeat for {_ago(now, seen)}", seen)
            )
    return states


def source_states(
    configured: Configured, *, now: datetime | None = None
) -> list[State]:
    """One card per source: bounce processing, mailboxes, providers, queue, heartbeats."""
    now = now or timezone.now()
    states = []
    if not configured.bounce_enabled:
        states.append(
            State(
                "bounces",
                "Bounce processing",
                "bad",
                "off in Settings → Bounces: nothing is recorded",
            )
        )
    states += _mailbox_states(configured, now)
    states += _provider_states(configured, now)
    states += _queue_states(now)
    return states
