"""Raising events: stored in the caller's transaction, sent on commit, cheap when unused."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from stmails.event_hooks import services as event_hooks
from stmails.models import EventDelivery, EventHook
from subscribers import services
from subscribers.models import Subscriber, Subscription
from subscribers.subscription import optin
from tests.stmails.event_hooks.helpers import deliveries, make_hook

# The receivers listen on 127.0.0.1, which outgoing HTTP refuses by default.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("allow_loopback_receivers"),
]
URL = "http://127.0.0.1:9/hook"  # nothing is sent: on_commit never runs here


@pytest.fixture
def hook():
    return make_hook(URL)[0]


@pytest.fixture
def member(make_subscriber, make_list):
    """A subscriber confirmed on News and Offers."""
    subscriber = make_subscriber("ann@example.com")
    for name in ("News", "Offers"):
        Subscription.objects.create(
            subscriber=subscriber, list=make_list(name), status="confirmed"
        )
    return subscriber


def data_of(event_type: str) -> list[dict]:
    return [d.data["data"] for d in deliveries(event_type)]


def test_it_stores_the_event_and_enqueues_its_send_on_commit(
    hook, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            [row] = event_hooks.emit("subscriber.deleted", [{"x": 1}])
    assert (row.status, row.attempts, row.hook_id) == ("queued", 0, hook.pk)
    assert row.data["type"] == "subscriber.deleted" and row.data["data"] == {"x": 1}
    assert len(callbacks) == 1


def test_a_rolled_back_transaction_emits_nothing(
    hook, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.delete_subscribers([member.pk])
            assert deliveries("subscriber.deleted")  # stored inside the transaction
            raise RuntimeError("the request failed")
    assert not EventDelivery.objects.exists()
    assert callbacks == []  # the send of the rolled-back row was never enqueued
    assert Subscriber.objects.filter(pk=member.pk).exists()


def test_without_endpoints_an_event_costs_one_query_then_none_for_a_while(
    member, django_assert_num_queries, monkeypatch
):
    make_hook(URL, enabled=False)
    make_hook(URL, events=["bounce.recorded"])
    with django_assert_num_queries(1):
        assert event_hooks.emit("subscriber.deleted", [{"x": 1}]) == []
    # The answer is kept LISTENERS_TTL seconds: the next events ask nobody.
    with django_assert_num_queries(0):
        assert event_hooks.emit("subscriber.deleted", [{"x": 2}]) == []
    # A service that needs queries to build the data skips them all.
    with CaptureQueriesContext(connection) as queries:
        services.blocklist_subscribers([member.pk])
    assert not [q for q in queries if "event_hooks" in q["sql"]]
    # ... and not the look-up of who is about to be blocklisted.
    assert not [q for q in queries if q["sql"].startswith('SELECT "subscribers"')]
    assert not EventDelivery.objects.exists()


def test_blocklisting_sends_subscriber_blocklisted_for_those_not_blocklisted_yet(
    hook, member, make_subscriber
):
    already = make_subscriber("old@example.com", status="blocklisted")
    services.blocklist_subscribers([member.pk, already.pk])
    assert data_of("subscriber.blocklisted") == [
        {
            "subscriber": {
                "id": member.pk,
                "uuid": str(member.uuid),
                "email": "ann@example.com",
                "status": "blocklisted",
            },
            "reason": "admin",
        }
    ]
    # Blocklisting unsubscribes too, without a second event.
    assert deliveries("subscriber.unsubscribed") == []


def test_unsubscribe_from_all_names_the_lists_left(hook, member):
    Subscription.objects.filter(list__name="Offers").update(status="unsubscribed")
    services.unsubscribe_from_all([member.pk])
    [data] = data_of("subscriber.unsubscribed")
    assert data["subscriber"]["email"] == "ann@example.com"
    assert [lst["name"] for lst in data["lists"]] == ["News"]
    assert data["reason"] == "admin"
    services.unsubscribe_from_all([member.pk])  # nothing left to leave
    assert len(deliveries("subscriber.unsubscribed")) == 1


def test_deleting_sends_subscriber_deleted_with_the_gone_row(hook, member):
    services.delete_subscribers([member.pk, 999999])
    assert data_of("subscriber.deleted") == [
        {
            "subscriber": {
                "id": member.pk,
                "uuid": str(member.uuid),
                "email": "ann@example.com",
                "status": "enabled",
            },
            "reason": "admin",
        }
    ]


def test_editing_the_status_to_blocklisted_sends_it_once(hook, member):
    services.update_subscriber(member, status="blocklisted")
    services.update_subscriber(member, name="Ann")  # still blocklisted: no event
    assert len(deliveries("subscriber.blocklisted")) == 1


def test_unsubscribing_from_some_lists_in_bulk(hook, member):
    news = member.subscription_set.get(list__name="News").list
    services.change_memberships(
        subscriber_ids=[member.pk], action="unsubscribe", list_ids=[news.pk]
    )
    [data] = data_of("subscriber.unsubscribed")
    assert data["lists"] == [{"id": news.pk, "uuid": str(news.uuid), "name": "News"}]


def test_the_public_unsubscribe_link_sends_it_with_reason_subscriber(hook, member):
    optin.unsubscribe(member)
    [data] = data_of("subscriber.unsubscribed")
    assert data["reason"] == "subscriber"
    assert sorted(lst["name"] for lst in data["lists"]) == ["News", "Offers"]


def test_an_endpoint_gets_only_the_events_it_chose(member):
    make_hook(URL, events=["subscriber.deleted"])
    services.blocklist_subscribers([member.pk])
    services.delete_subscribers([member.pk])
    assert [d.event_type for d in deliveries()] == ["subscriber.deleted"]


def test_saving_an_endpoint_is_seen_at_once_and_others_within_the_ttl(
    member, monkeypatch
):
    assert event_hooks.listeners("subscriber.deleted") == []
    hook, _secret = make_hook(URL)  # a save in this process clears the cache
    assert event_hooks.listeners("subscriber.deleted") == [hook.pk]
    # Another process's change (no signal here): seen once the TTL has passed.
    EventHook.objects.filter(pk=hook.pk).update(enabled=False)
    assert event_hooks.listeners("subscriber.deleted") == [hook.pk]
    clock = event_hooks.time.monotonic() + event_hooks.LISTENERS_TTL
    monkeypatch.setattr(event_hooks.time, "monotonic", lambda: clock)
    assert event_hooks.listeners("subscriber.deleted") == []
