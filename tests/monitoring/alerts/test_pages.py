"""/alerts (the incidents) and Settings → Alerts (/settings/alerts, /api/settings)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from monitoring.models import AlertIncident
from stmails import config
from stmails.models import EventDelivery, Setting
from tests.stmails.event_hooks.helpers import make_hook

pytestmark = pytest.mark.django_db


def incident(key: str, *, hours_ago: int, closed: bool = False, **kw):
    opened = timezone.now() - timedelta(hours=hours_ago)
    return AlertIncident.objects.create(
        rule="queue_stuck",
        key=key,
        summary=f"summary of {key}",
        opened_at=opened,
        closed_at=opened + timedelta(minutes=30) if closed else None,
        close_reason="recovered" if closed else "",
        notified_at=opened,
        **kw,
    )


def test_it_needs_login(alice):
    r = Client().get("/alerts")
    assert r.status_code == 302 and "/login" in r["Location"]


def test_it_lists_open_incidents_first_then_closed_ones(client_alice):
    old = incident("old", hours_ago=50, closed=True, notified_to=["a@x.test"])
    now_open = incident("now", hours_ago=1, notified_to=["a@x.test"])
    page = client_alice.get("/alerts").content.decode()
    assert page.index('id="alerts-open"') < page.index(f'id="incident-{now_open.pk}"')
    assert page.index('id="alerts-closed"') < page.index(f'id="incident-{old.pk}"')
    assert page.index(f'id="incident-{now_open.pk}"') < page.index('id="alerts-closed"')
    assert "Mail stuck in the queue" in page  # the rule's title
    assert "alert queued for a@x.test" in page  # no mail row: not "mailed"
    assert 'id="open-alerts">1<' in page  # the nav's count


def test_the_nav_shows_no_count_without_open_incidents(client_alice):
    incident("old", hours_ago=5, closed=True)
    page = client_alice.get("/alerts").content.decode()
    assert 'id="open-alerts"' not in page
    assert "No open incidents." in page


def alerts_form(**kw):
    data = {
        "alerts__enabled": "on",
        "alerts__campaign_bounce_rate": "2.5",
        "alerts__campaign_complaint_rate": "0.1",
        "alerts__min_campaign_sent": "500",
        "alerts__mailbox_failed_scans": "3",
        "alerts__provider_silent_hours": "12",
        "alerts__queue_stuck_minutes": "30",
        "alerts__unmatched_per_hour": "50",
        "alerts__emails": '["ops@example.com"]',
    }
    data.update(kw)
    return data


def test_it_saves_the_alert_settings(client_alice):
    r = client_alice.post("/settings/alerts", alerts_form())
    assert r.status_code == 302 and r["Location"] == "/settings/alerts"
    values = config.get_values(
        "alerts.campaign_bounce_rate",
        "alerts.emails",
        "alerts.provider_silent_hours",
    )
    assert values == {
        "alerts.campaign_bounce_rate": 2.5,
        "alerts.emails": ["ops@example.com"],
        "alerts.provider_silent_hours": 12,
    }
    page = client_alice.get("/settings/alerts").content.decode()
    assert 'href="/settings/alerts"' in page  # the tab
    # The POST's fields went with it: alerts reach other systems as events.
    assert "alerts__webhook" not in page


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("alerts__emails", '["not an address"]', "[0]: must be an email address"),
        ("alerts__min_campaign_sent", "0", "must be between 1 and 10000000"),
        ("alerts__campaign_bounce_rate", "101", "must be between 0 and 100"),
    ],
)
def test_it_shows_errors_beside_the_field(client_alice, field, value, error):
    r = client_alice.post("/settings/alerts", alerts_form(**{field: value}))
    assert r.status_code == 400
    assert f'<div class="error" id="id_{field}-error">{error}' in r.content.decode()
    assert not Setting.objects.filter(key__startswith="alerts.").exists()


def test_the_api_takes_and_checks_alert_settings(api_client):
    def put(body):
        return api_client.put(
            "/api/settings", json.dumps(body), content_type="application/json"
        )

    r = put({"alerts.campaign_complaint_rate": "high"})
    assert r.status_code == 400
    assert r.json() == {"message": "alerts.campaign_complaint_rate: must be a number"}
    r = put({"alerts.webhook_url": "https://hooks.example.com/alerts"})
    assert r.status_code == 400
    assert r.json() == {"message": "alerts.webhook_url: unknown settings key"}
    r = put({"alerts.campaign_complaint_rate": 1})
    assert r.status_code == 200
    assert config.get_value("alerts.campaign_complaint_rate") == 1.0
    data = api_client.get("/api/settings").json()["data"]
    assert data["alerts.enabled"] is True
    assert not {"alerts.webhook_url", "alerts.webhook_secret"} & set(data)


def alert_mail(incident_row, to, status, event="opened", **kw):
    from monitoring.alerts.notify import ALERT_HEADER
    from stmails.models import OutgoingMail

    return OutgoingMail.objects.create(
        kind="alert", status=status, to_email=to, from_email="a@example.com",
        subject="S", text="T", message_id=f"<{to}-{event}@x>",
        headers={ALERT_HEADER: f"{incident_row.pk} {event}"}, **kw,
    )  # fmt: skip


def test_it_says_mailed_only_once_the_mail_was_accepted(client_alice):
    row = incident("now", hours_ago=1, notified_to=["a@x.test", "b@x.test", "c@x.test"])
    alert_mail(row, "a@x.test", "sent")
    alert_mail(row, "b@x.test", "failed", last_error="550 5.1.1 no such user")
    alert_mail(row, "c@x.test", "awaiting_retry", last_error="could not connect")
    alert_mail(row, "d@x.test", "sent", event="recovered")  # not the opening's
    page = client_alice.get("/alerts").content.decode()
    cell = page.split(f'id="incident-{row.pk}"', 1)[1].split("</tr>")[0]
    assert "alert mailed to a@x.test" in cell
    assert "alert mailed to b@x.test" not in cell
    assert '<span class="badge failed">failed</span> alert mail to b@x.test' in cell
    assert "550 5.1.1 no such user" in cell
    assert "alert mail to c@x.test" in cell and "awaiting retry" in cell
    assert "alert mailed to c@x.test" not in cell
    assert "d@x.test" not in cell


def test_notify_tags_the_alert_mail_with_its_incident(db):
    from monitoring.alerts.notify import ALERT_HEADER, notify
    from stmails.models import OutgoingMail

    row = incident("tagged", hours_ago=1)
    notify(row, "opened", {"alerts.emails": ["ops@x.test"]})
    mails = OutgoingMail.objects.filter(kind="alert")
    assert [m.to_email for m in mails] == ["ops@x.test"]
    assert {m.headers[ALERT_HEADER] for m in mails} == {f"{row.pk} opened"}


def test_it_links_each_alert_endpoint_to_its_alert_deliveries(client_alice):
    crm, _ = make_hook("https://crm.example.com/h", events=["bounce.recorded"])
    pager, _ = make_hook(
        "https://pager.example.com/h", events=["alert.opened"], name="Pager"
    )
    rows = [
        ("alert.opened", "failed"),
        ("alert.opened", "awaiting_retry"),
        ("alert.recovered", "delivered"),
        ("bounce.recorded", "failed"),  # not an alert event: not counted
    ]
    EventDelivery.objects.bulk_create(
        EventDelivery(
            hook=pager,
            event_type=kind,
            status=status,
            message_id=f"msg_{i}",
            payload="{}",
        )
        for i, (kind, status) in enumerate(rows)
    )
    page = client_alice.get("/alerts").content.decode()
    table = page.split('id="alert-endpoints"', 1)[1].split("</table>")[0]
    assert f'id="endpoint-{crm.pk}"' not in table  # wants no alert event
    row = table.split(f'id="endpoint-{pager.pk}"', 1)[1].split("</tr>")[0]
    assert "1 failed" in row and "1 waiting" in row
    link = f"/settings/event-webhooks/{pager.pk}/deliveries?event=alert.%2A"
    assert link in row
    log = client_alice.get(link).content.decode()
    shown = log.split('id="deliveries"', 1)[1]
    assert "alert.opened" in shown and "alert.recovered" in shown
    assert "bounce.recorded" not in shown


def test_it_says_when_no_endpoint_gets_alert_events(client_alice):
    page = client_alice.get("/alerts").content.decode()
    assert "No endpoint gets alert events: alerts are mailed only." in page
