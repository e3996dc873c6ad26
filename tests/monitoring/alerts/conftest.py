"""Alert tests: run the evaluation as the beat task does, one rule at a time."""

from __future__ import annotations

import pytest

from monitoring.alerts import services
from monitoring.models import AlertIncident
from stmails.config import update_settings

# Every rule's threshold key: `only_rule` switches the others off.
THRESHOLDS = {
    "campaign_bounce_rate": "alerts.campaign_bounce_rate",
    "campaign_complaint_rate": "alerts.campaign_complaint_rate",
    "mailbox_failed_scans": "alerts.mailbox_failed_scans",
    "provider_silent": "alerts.provider_silent_hours",
    "queue_stuck": "alerts.queue_stuck_minutes",
    "unmatched_rising": "alerts.unmatched_per_hour",
}


@pytest.fixture
def evaluate(django_capture_on_commit_callbacks):
    """evaluate_alerts with its after-commit work (mails, events) run at the end."""

    def run(now=None):
        with django_capture_on_commit_callbacks(execute=True):
            return services.evaluate_alerts(now=now)

    return run


@pytest.fixture
def only_rule(db):
    """Switch every rule but one off, so a test sees that rule alone."""

    def only(slug: str, **settings):
        changes = {key: 0 for rule, key in THRESHOLDS.items() if rule != slug}
        update_settings({**changes, **settings})

    return only


def open_incidents(rule: str | None = None) -> list[AlertIncident]:
    rows = AlertIncident.objects.filter(closed_at__isnull=True)
    return list(rows.filter(rule=rule) if rule else rows)
