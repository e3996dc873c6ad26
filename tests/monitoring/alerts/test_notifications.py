"""Alert notifications end to end: mail through the outbox to a real SMTP sink,
signed JSON POSTs to a real HTTP server, retried until it answers."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from bounces.models import UnmatchedBounce
from monitoring.alerts import notify
from monitoring.models import AlertIncident, AlertPost
from stmails.config import update_settings
from stmails.models import OutgoingMail
from tests.stmails.outbox_helpers import Sink, smtp_server, start_sink, use_servers

from .conftest import Receiver, open_incidents

# The receivers listen on 127.0.0.1, which outgoing HTTP refuses by default.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("allow_loopback_receivers"),
]

SECRET = "alert-signing-secret"
KEY = "unmatched_rising"


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


def later(minutes: int = 2):
    return timezone.now() + timedelta(minutes=minutes)


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


# --- JSON POST --------------------------------------------------------------------


def test_it_posts_signed_json_once_per_opening_and_recovery(rising, receiver, evaluate):
    update_settings(
        {"alerts.webhook_url": receiver.url, "alerts.webhook_secret": SECRET}
    )
    evaluate()
    evaluate()
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["path"] == "/hooks/alerts"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["X-Stmails-Event"] == "alert.opened"
    expected = hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Stmails-Signature"] == f"sha256={expected}"
    payload = json.loads(request["body"])
    incident = AlertIncident.objects.get()
    assert payload["event"] == "alert.opened"
    assert payload["id"] == int(request["headers"]["X-Stmails-Delivery"])
    assert payload["url"].endswith("/alerts")
    assert payload["incident"]["id"] == incident.pk
    assert payload["incident"]["rule"] == KEY
    assert payload["incident"]["key"] == KEY
    assert payload["incident"]["status"] == "open"
    assert payload["incident"]["closed_at"] is None
    assert payload["incident"]["details"]["last_hour"] == 6

    clear_condition()
    evaluate()
    evaluate()
    assert [p["event"] for p in receiver.payloads()] == [
        "alert.opened",
        "alert.recovered",
    ]
    recovered = receiver.payloads()[1]["incident"]
    assert recovered["status"] == "resolved" and recovered["closed_at"]
    assert set(AlertPost.objects.values_list("status", flat=True)) == {"sent"}


def test_it_posts_unsigned_without_a_secret(rising, receiver, evaluate):
    update_settings({"alerts.webhook_url": receiver.url})
    evaluate()
    assert "X-Stmails-Signature" not in receiver.requests[0]["headers"]


def test_it_retries_a_post_the_receiver_refused(rising, receiver, evaluate):
    update_settings({"alerts.webhook_url": receiver.url})
    receiver.status = 500
    evaluate()
    post = AlertPost.objects.get()
    assert post.status == "pending" and post.attempts == 1
    assert post.response_status == 500 and "HTTP 500" in post.last_error
    evaluate()  # not due yet: no second attempt
    assert len(receiver.requests) == 1

    receiver.status = 200
    assert notify.send_due_posts(now=later()).sent == 1
    post.refresh_from_db()
    assert post.status == "sent" and post.attempts == 2 and post.response_status == 200
    first, second = receiver.requests
    assert first["body"] == second["body"]  # the same delivery, sent again
    assert notify.send_due_posts(now=later(60)).sent == 0


def test_it_retries_a_post_while_the_receiver_is_down(rising, evaluate):
    down = Receiver()  # its port, nothing listening yet
    update_settings({"alerts.webhook_url": down.url})
    evaluate()
    post = AlertPost.objects.get()
    assert post.status == "pending" and "cannot reach" in post.last_error

    down.start()
    try:
        assert notify.send_due_posts(now=later()).sent == 1
    finally:
        down.stop()
    assert down.payloads()[0]["event"] == "alert.opened"


def test_it_gives_up_after_the_last_attempt(rising, evaluate):
    update_settings({"alerts.webhook_url": Receiver().url})
    evaluate()
    AlertPost.objects.update(attempts=notify.MAX_POST_ATTEMPTS - 1)
    assert notify.send_due_posts(now=later(60 * 24)).failed == 1
    post = AlertPost.objects.get()
    assert post.status == "failed" and post.next_try_at is None


def test_a_post_to_loopback_is_refused_without_the_allow_setting(
    rising, evaluate, receiver, settings
):
    update_settings(
        {"alerts.webhook_url": receiver.url.replace("127.0.0.1", "localhost")}
    )
    settings.STMAILS_ALLOWED_PRIVATE_HOSTS = []
    evaluate()
    post = AlertPost.objects.get()
    assert post.status == "pending"
    assert post.last_error.startswith("refused destination: localhost resolves to")
    assert receiver.requests == []
