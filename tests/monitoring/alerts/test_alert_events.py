"""Alert openings and recoveries as event-webhook events: `alert.opened` and
`alert.recovered`, signed with Standard Webhooks and delivered by
stmails.event_hooks to a real HTTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from bounces.models import UnmatchedBounce
from stmails.models import EventDelivery
from tests.stmails.event_hooks.helpers import Receiver, make_hook

from .conftest import open_incidents

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("allow_loopback_receivers"),
]


@pytest.fixture
def rising(only_rule):
    """The unmatched rule alone, its condition true: 6 in the last hour, limit 5."""
    only_rule("unmatched_rising", **{"alerts.unmatched_per_hour": 5})
    UnmatchedBounce.objects.bulk_create(
        UnmatchedBounce(reason="not_subscriber", email=f"u{i}@x.test") for i in range(6)
    )


@pytest.fixture
def hook_receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()


def test_an_opening_and_a_recovery_reach_an_endpoint_once_each(
    rising, hook_receiver, evaluate
):
    hook, secret = make_hook(
        hook_receiver.url, events=["alert.opened", "alert.recovered"]
    )
    evaluate()
    evaluate()  # still open: nothing new
    [incident] = open_incidents("unmatched_rising")
    UnmatchedBounce.objects.update(created_at=timezone.now() - timedelta(hours=2))
    evaluate()
    evaluate()

    payloads = [
        Webhook(secret).verify(r.body, r.headers) for r in hook_receiver.requests
    ]
    assert [p["type"] for p in payloads] == ["alert.opened", "alert.recovered"]
    opened, recovered = (p["data"] for p in payloads)
    assert opened["incident"]["id"] == recovered["incident"]["id"] == incident.pk
    assert opened["incident"]["key"] == "unmatched_rising"
    assert opened["incident"]["details"]["last_hour"] == 6
    assert [opened["incident"]["status"], recovered["incident"]["status"]] == [
        "open",
        "resolved",
    ]
    assert opened["url"].endswith("/alerts")
    assert set(EventDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    # The one signature scheme: no X-Stmails-Signature of the retired POST.
    assert all(
        set(r.headers) >= {"webhook-id", "webhook-timestamp", "webhook-signature"}
        and "x-stmails-signature" not in r.headers
        for r in hook_receiver.requests
    )


def test_an_endpoint_that_wants_other_events_gets_none(rising, hook_receiver, evaluate):
    make_hook(hook_receiver.url, events=["bounce.recorded"])
    evaluate()
    assert open_incidents("unmatched_rising")
    assert hook_receiver.requests == []
    assert not EventDelivery.objects.exists()
