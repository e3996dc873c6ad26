"""How alerts reach people: mail to the admins and event webhooks.

Both are written in the caller's transaction, next to the incident row, so an
incident notifies exactly once: the mails as outbox rows (stmails.outbox, sent
and retried by the outgoing queue), the `alert.opened` / `alert.recovered`
events as EventDelivery rows for every event-webhook endpoint that wants them
(stmails.event_hooks: Standard Webhooks signatures, its retries and delivery
log). That is the one way alerts reach other systems: the older JSON POST to
`alerts.webhook_url` became such an endpoint (monitoring migration 0002).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from monitoring.alerts.rules import rule_title
from monitoring.models import AlertIncident
from stmails import config
from stmails.event_hooks import services as event_hooks
from stmails.lib.datetime_display import show_datetime
from stmails.outbox import queue_mail

log = logging.getLogger(__name__)

Event = AlertIncident.Event


def recipients(settings: dict[str, Any]) -> list[str]:
    """alerts.emails, or else every active admin's address."""
    if settings["alerts.emails"]:
        return list(settings["alerts.emails"])
    emails = (
        get_user_model()
        .objects.filter(Q(is_staff=True) | Q(is_superuser=True), is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )
    return list(dict.fromkeys(emails))


def _site() -> tuple[str, str]:
    values = config.get_values("app.site_name", "app.root_url")
    return values["app.site_name"], values["app.root_url"] + reverse("alerts:index")


def _when(at: datetime | None) -> str:
    return show_datetime(at) if at else "-"


def _mail_text(incident: AlertIncident, event: str, page_url: str) -> str:
    lines = [
        incident.summary,
        "",
        f"Rule: {rule_title(incident.rule)}",
        f"Opened: {_when(incident.opened_at)}",
    ]
    if event == Event.RECOVERED:
        lines.append(f"Resolved: {_when(incident.closed_at)}")
    if incident.details:
        lines += ["", "Details:"]
        lines += [f"  {name}: {value}" for name, value in incident.details.items()]
    lines += ["", f"All incidents: {page_url}", ""]
    return "\n".join(lines)


def event_data(incident: AlertIncident, site: tuple[str, str]) -> dict:
    """The data of an alert event (the `data` of its event-webhook envelope)."""
    site_name, page_url = site
    return {
        "site": site_name,
        "url": page_url,
        "incident": {
            "id": incident.pk,
            "rule": incident.rule,
            "rule_title": rule_title(incident.rule),
            "key": incident.key,
            "summary": incident.summary,
            "details": incident.details,
            "status": "open" if incident.is_open else "resolved",
            "opened_at": incident.opened_at.isoformat(),
            "closed_at": incident.closed_at.isoformat() if incident.closed_at else None,
        },
    }


# Ties an alert mail to its incident, so the Alerts page shows the mail's fate.
ALERT_HEADER = "X-Stmails-Alert"


def notify(incident: AlertIncident, event: str, settings: dict[str, Any]) -> None:
    """Queue the mails and the event-webhook events of an opening or a recovery.

    Call in the transaction that opened or closed the incident.
    """
    site = _site()
    site_name, page_url = site
    label = "Alert" if event == Event.OPENED else "Resolved"
    to = recipients(settings)
    for address in to:
        queue_mail(
            to=address,
            subject=f"[{site_name}] {label}: {incident.summary}"[:900],
            text=_mail_text(incident, event, page_url),
            headers={ALERT_HEADER: f"{incident.pk} {event}"},
            kind="alert",
        )
    if not to:
        log.warning("alert %s %s: no recipients (no admin email)", incident.key, event)
    now = timezone.now()
    if event == Event.OPENED:
        incident.notified_at, incident.notified_to = now, to
        incident.save(update_fields=["notified_at", "notified_to"])
    else:
        incident.recovery_notified_at = now
        incident.save(update_fields=["recovery_notified_at"])
    event_hooks.emit(f"alert.{event}", [event_data(incident, site)], now=now)
