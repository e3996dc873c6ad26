"""Alert evaluation: rule answers become incidents, incidents become notifications."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from monitoring.alerts import notify
from monitoring.alerts.rules import RULES, Condition, RuleContext, alert_settings
from monitoring.models import AlertIncident
from stmails.event_hooks import services as event_hooks
from stmails.models import EventDelivery, EventHook

log = logging.getLogger(__name__)

Event = AlertIncident.Event
CloseReason = AlertIncident.CloseReason


@dataclass
class EvaluationResult:
    opened: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    closed_off: list[str] = field(default_factory=list)  # rule switched off
    open: int = 0  # incidents open after this run
    errors: dict[str, str] = field(default_factory=dict)  # rule -> error
    skipped: bool = False  # alerts.enabled is off

    def as_dict(self) -> dict:
        return {
            "opened": self.opened,
            "recovered": self.recovered,
            "closed_off": self.closed_off,
            "open": self.open,
            "errors": self.errors,
            "skipped": self.skipped,
        }


def check_rules(
    now: datetime, settings: dict
) -> tuple[dict[str, list[Condition] | None], dict[str, str]]:
    """Every rule's answer (None: switched off), and the rules that raised."""
    ctx = RuleContext(now=now, settings=settings)
    answers: dict[str, list[Condition] | None] = {}
    errors: dict[str, str] = {}
    for slug, rule in RULES.items():
        try:
            answers[slug] = rule.check(ctx)
        except Exception as e:  # one broken rule must not stop the others
            log.exception("alert rule %s failed", slug)
            errors[slug] = f"{type(e).__name__}: {e}"
    return answers, errors


def evaluate_alerts(now: datetime | None = None) -> EvaluationResult:
    """Run every rule and keep one incident per condition; idempotent and safe
    to run concurrently.

    1. alerts.enabled off: nothing changes (open incidents stay open).
    2. Each rule lists the conditions true now; a rule that raises is logged
       and its incidents are left as they are (no false recovery).
    3. A condition with no open incident opens one; the incident, its mails and
       its event-webhook deliveries commit together. The partial unique
       constraint on the key lets only one concurrent run open it (and notify).
    4. An open incident whose condition is gone is closed by a conditional
       UPDATE (one run wins) with its recovery notice; one whose rule is
       switched off or gone is closed without a notice.
    """
    now = now or timezone.now()
    result = EvaluationResult()
    settings = alert_settings()
    if settings["alerts.enabled"]:
        answers, result.errors = check_rules(now, settings)
        _apply(answers, result, now, settings)
    else:
        result.skipped = True
    result.open = AlertIncident.objects.filter(closed_at__isnull=True).count()
    return result


def _apply(
    answers: dict[str, list[Condition] | None],
    result: EvaluationResult,
    now: datetime,
    settings: dict,
) -> None:
    open_incidents = {i.key: i for i in AlertIncident.objects.filter(closed_at=None)}
    current = set()
    for slug, conditions in answers.items():
        for condition in conditions or []:
            current.add(condition.key)
            if condition.key not in open_incidents and _open(
                slug, condition, now, settings
            ):
                result.opened.append(condition.key)
    for key, incident in open_incidents.items():
        if incident.rule in result.errors or key in current:
            continue
        if answers.get(incident.rule) is None:
            if _close(incident, now, CloseReason.RULE_OFF, settings):
                result.closed_off.append(key)
        elif _close(incident, now, CloseReason.RECOVERED, settings):
            result.recovered.append(key)


def _open(rule: str, condition: Condition, now: datetime, settings: dict) -> bool:
    try:
        with transaction.atomic():
            incident = AlertIncident.objects.create(
                rule=rule,
                key=condition.key,
                summary=condition.summary[:500],
                details=condition.details,
                opened_at=now,
            )
            notify.notify(incident, Event.OPENED, settings)
    except IntegrityError:
        # Another run opened it first (and notified).
        return False
    log.warning("alert opened: %s", condition.summary)
    return True


def _close(incident: AlertIncident, now: datetime, reason: str, settings: dict) -> bool:
    with transaction.atomic():
        closed = AlertIncident.objects.filter(
            pk=incident.pk, closed_at__isnull=True
        ).update(closed_at=now, close_reason=reason)
        if not closed:
            return False  # another run closed it first
        incident.closed_at, incident.close_reason = now, reason
        if reason == CloseReason.RECOVERED:
            notify.notify(incident, Event.RECOVERED, settings)
    log.warning("alert %s: %s", reason, incident.summary)
    return True


def incidents_for_page(closed_limit: int = 100) -> dict[str, list[AlertIncident]]:
    """Open incidents (newest first), then the most recent closed ones."""
    rows = AlertIncident.objects.all()
    groups = {
        "open": list(rows.filter(closed_at__isnull=True).order_by("-opened_at")),
        "closed": list(
            rows.filter(closed_at__isnull=False).order_by("-closed_at")[:closed_limit]
        ),
    }
    _attach_alert_mails(groups["open"] + groups["closed"])
    return groups


def _attach_alert_mails(incidents: list[AlertIncident]) -> None:
    """Set incident.opened_mails: the opening's alert mails (OutgoingMail), so the
    page says "mailed" only once the SMTP server accepted one, and shows failures."""
    from monitoring.alerts.notify import ALERT_HEADER
    from stmails.models import OutgoingMail

    for incident in incidents:
        incident.opened_mails = []
    if not incidents:
        return
    by_tag = {f"{i.pk} {Event.OPENED}": i for i in incidents}
    oldest = min(i.opened_at for i in incidents)
    mails = OutgoingMail.objects.filter(kind="alert", created_at__gte=oldest).only(
        "to_email", "status", "last_error", "headers"
    )
    for mail in mails.order_by("id"):
        incident = by_tag.get((mail.headers or {}).get(ALERT_HEADER))
        if incident is not None:
            incident.opened_mails.append(mail)


ALERT_EVENTS = (event_hooks.ALERT_OPENED, event_hooks.ALERT_RECOVERED)
# The delivery log's filter for both (stmails.event_hooks.views.event_filters).
ALERT_FILTER = "alert.*"


def alert_endpoints() -> list[EventHook]:
    """The event-webhook endpoints that get alert events, each with `failed` and
    `waiting` counts of its alert deliveries (from the status index: not a scan
    of the delivery log), for the Alerts page."""
    hooks = [
        h for h in EventHook.objects.all() if set(h.events or []) & set(ALERT_EVENTS)
    ]
    Status = EventDelivery.Status
    counts = (
        EventDelivery.objects.filter(
            hook__in=hooks,
            event_type__in=ALERT_EVENTS,
            status__in=[
                Status.FAILED,
                Status.QUEUED,
                Status.DELIVERING,
                Status.AWAITING_RETRY,
            ],
        )
        .values("hook_id")
        .annotate(
            failed=Count("id", filter=Q(status=Status.FAILED)),
            waiting=Count("id", filter=~Q(status=Status.FAILED)),
        )
    )
    by_hook = {c["hook_id"]: c for c in counts}
    for hook in hooks:
        found = by_hook.get(hook.pk, {})
        hook.failed, hook.waiting = found.get("failed", 0), found.get("waiting", 0)
    return hooks
