"""Alert mail end to end: through the outbox to a real SMTP sink. (Alert events
to a real HTTP server, signed with Standard Webhooks: test_alert_events.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bounces.models import UnmatchedBounce
from monitoring.models import AlertIncident
from stmails.config import update_settings
from stmails.models import OutgoingMail
from tests.stmails.outbox_helpers import Sink, smtp_server, start_sink, use_servers

from .conftest import open_incidents

pytestmark = pytest.mark.django_db


@pytest.fixture
def rising(only_rule):
    """The unmatched rule alone, its condition true: 6 in the last hour, limit 5."""
    only_rule("unmatched_rising", **{"alerts.unmatched_per_hour": 5})
    UnmatchedBounce.objects.bulk_create(
        UnmatchedBounce(reason="not_subscriber", email=f"u{i}@x.test") for i in range(6)
    )


def clear_condition():
    UnmatchedBounce.objects.update(created_at=timezone.now() - timedelta(hours=2))


@pytest.fixture
def sink():
    sink = Sink()
    controller = start_sink(sink)
    use_servers(smtp_server(controller.port))
    yield sink
    controller.stop()


# --- mail -------------------------------------------------------------------------


@pytest.mark.smtp
def test_it_mails_the_admins_once_per_opening_and_once_on_recovery(
    alice, rising, sink, evaluate
):
    evaluate()
    evaluate()
    assert [m["To"] for m in sink.messages] == ["alice@example.com"]
    opened = sink.messages[0]
    assert opened["Subject"].startswith("[stmails] Alert: Unmatched bounces rising")
    body = opened.get_content()
    assert "Rule: Unmatched bounces rising" in body
    assert "last_hour: 6" in body
    assert "/alerts" in body
    assert OutgoingMail.objects.get().kind == "alert"

    clear_condition()
    evaluate()
    evaluate()
    assert len(sink.messages) == 2
    resolved = sink.messages[1]
    assert resolved["Subject"].startswith("[stmails] Resolved: Unmatched bounces")
    assert "Resolved: " in resolved.get_content()
    incident = AlertIncident.objects.get()
    assert incident.notified_to == ["alice@example.com"]


@pytest.mark.smtp
def test_it_mails_the_configured_addresses_instead(alice, rising, sink, evaluate):
    update_settings({"alerts.emails": ["ops@example.com", "Pager <page@example.com>"]})
    evaluate()
    assert sorted(m["To"] for m in sink.messages) == [
        "Pager <page@example.com>",
        "ops@example.com",
    ]


def test_it_records_an_incident_with_no_one_to_mail(rising, evaluate):
    evaluate()
    (incident,) = open_incidents()
    assert incident.notified_at is not None and incident.notified_to == []
    assert OutgoingMail.objects.count() == 0
