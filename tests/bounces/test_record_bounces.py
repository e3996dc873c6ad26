"""record_bounces: a batch in one transaction, with record_bounce's guarantees."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bounces.models import Bounce, BounceAction
from bounces.recording import record_bounce, record_bounces
from bounces.services import BounceError, NewBounce
from campaigns.models import Campaign
from stmails.config import update_settings
from subscribers.models import Subscriber, Subscription
from tests.conftest import require_service


def nb(email: str | None = "a@example.com", btype="soft", key=None, **kw) -> NewBounce:
    return NewBounce(type=btype, source="sendgrid", email=email, event_key=key, **kw)


def actions_of(subscriber) -> list[BounceAction]:
    return list(BounceAction.objects.filter(subscriber=subscriber))


@pytest.fixture
def member(make_subscriber, make_list):
    """A subscriber confirmed on two lists."""
    subscriber = make_subscriber("a@example.com")
    for name in ("News", "Offers"):
        Subscription.objects.create(
            subscriber=subscriber,
            list=make_list(name),
            status=Subscription.Status.CONFIRMED,
        )
    return subscriber


def test_it_records_each_item_with_its_fields(bounces_on, member):
    when = timezone.now() - timedelta(hours=2)
    results = record_bounces(
        [
            nb(
                "A@Example.com",
                key="sg:1",
                meta={"m": 1},
                created_at=when,
                provider_message_id="msg1",
                status_code="5.1.1",
            ),
            nb(key="sg:2"),
        ]
    )
    assert [r.created for r in results] == [True, True]
    first = Bounce.objects.get(id=results[0].bounce_id)
    assert (first.subscriber_id, first.type, first.source) == (
        member.id,
        "soft",
        "sendgrid",
    )
    assert (first.email, first.event_key, first.meta) == (
        "A@Example.com",
        "sg:1",
        {"m": 1},
    )
    assert (first.provider_message_id, first.status_code) == ("msg1", "5.1.1")
    assert first.created_at == when
    assert Bounce.objects.count() == 2


def test_it_acts_once_when_a_batch_crosses_the_threshold(bounces_on, member):
    bounces_on(soft={"count": 2, "action": "unsubscribe"})
    results = record_bounces([nb(key=f"k{i}") for i in range(3)])
    assert Bounce.objects.filter(subscriber=member).count() == 3
    (trace,) = actions_of(member)
    newest = max(r.bounce_id for r in results)
    assert (trace.action, trace.bounce_count, trace.last_bounce_id) == (
        "unsubscribe",
        3,
        newest,
    )
    assert trace.trigger == "bounce"
    assert [len(r.actions) for r in results] == [0, 0, 1]
    assert set(
        Subscription.objects.filter(subscriber=member).values_list("status", flat=True)
    ) == {"unsubscribed"}


def test_it_does_not_act_below_the_threshold(bounces_on, member):
    bounces_on(soft={"count": 2, "action": "blocklist"})
    record_bounces([nb(key="k1")])
    member.refresh_from_db()
    assert member.status == Subscriber.Status.ENABLED
    assert actions_of(member) == []
    record_bounces([nb(key="k2")])  # the second batch reaches it
    member.refresh_from_db()
    assert member.status == Subscriber.Status.BLOCKLISTED
    assert len(actions_of(member)) == 1


def test_it_stores_a_duplicate_within_a_batch_once(bounces_on, member):
    results = record_bounces([nb(key="k1"), nb(key="k1"), nb(key="k2")])
    assert Bounce.objects.count() == 2
    assert [r.created for r in results] == [True, False, True]
    assert results[0].bounce_id == results[1].bounce_id


def test_it_adds_nothing_when_a_batch_comes_again(bounces_on, member):
    bounces_on(hard={"count": 1, "action": "blocklist"})
    items = [nb(key="k1", btype="hard"), nb(key="k2")]
    first = record_bounces(items)
    again = record_bounces(items)
    assert Bounce.objects.count() == 2
    assert [r.created for r in again] == [False, False]
    assert [r.bounce_id for r in again] == [r.bounce_id for r in first]
    assert BounceAction.objects.count() == 1
    assert all(r.actions == [] for r in again)


def test_it_reports_unknown_subscribers_per_item(bounces_on, member):
    results = record_bounces(
        [
            nb("nobody@example.com", key="k1"),
            nb(key="k2"),
            nb(email=None, subscriber_uuid="9f86b50d-5711-41c8-ab03-bc91c43d711b"),
        ]
    )
    assert results[0].error.status == 404
    assert "nobody@example.com not found" in str(results[0].error)
    assert results[0].bounce_id is None
    assert results[1].created and results[1].error is None
    assert results[2].error.status == 404
    assert results[2].error.field == "subscriber_uuid"
    assert Bounce.objects.count() == 1


def test_a_bad_item_does_not_fail_the_others(bounces_on, member):
    results = record_bounces(
        [
            nb(btype="bogus", key="k1"),
            nb(email=None, subscriber_uuid="not-a-uuid", key="k2"),
            nb(email=None, key="k3"),
            nb(key="k4"),
        ]
    )
    assert [r.error.field if r.error else None for r in results] == [
        "type",
        "subscriber_uuid",
        "email",
        None,
    ]
    assert all(r.error.status == 400 for r in results[:3])
    assert list(Bounce.objects.values_list("event_key", flat=True)) == ["k4"]


def test_it_refuses_when_bounce_processing_is_off(db, member):
    with pytest.raises(BounceError) as e:
        record_bounces([nb(key="k1")])
    assert e.value.status == 503
    assert not Bounce.objects.exists()


def test_it_records_bounces_of_a_blocklisted_subscriber(bounces_on, member):
    bounces_on(hard={"count": 1, "action": "blocklist"})
    member.status = Subscriber.Status.BLOCKLISTED
    member.save()
    results = record_bounces([nb(btype="hard", key="k1"), nb(btype="hard", key="k2")])
    assert all(r.created for r in results)
    assert Bounce.objects.filter(subscriber=member).count() == 2
    assert actions_of(member) == []


def test_it_finds_by_uuid_first(bounces_on, member, make_subscriber):
    other = make_subscriber("b@example.com")
    (result,) = record_bounces([nb("b@example.com", subscriber_uuid=str(member.uuid))])
    bounce = Bounce.objects.get(id=result.bounce_id)
    assert bounce.subscriber_id == member.id != other.id


def test_it_links_campaigns_by_uuid_or_id(bounces_on, member):
    one = Campaign.objects.create(name="one", subject="s")
    two = Campaign.objects.create(name="two", subject="s")
    unknown = "9f86b50d-5711-41c8-ab03-bc91c43d711b"
    results = record_bounces(
        [
            nb(key="k1", campaign_uuid=str(one.uuid)),
            nb(key="k2", campaign_id=two.id),
            nb(key="k3", campaign_uuid=unknown),
            nb(key="k4", campaign_uuid="junk"),
        ]
    )
    bounces = [Bounce.objects.get(id=r.bounce_id) for r in results]
    assert [b.campaign_id for b in bounces] == [one.id, two.id, None, None]
    assert bounces[2].meta["unknown_campaign"] == unknown
    assert bounces[3].meta["unknown_campaign"] == "junk"


def test_it_counts_only_within_the_window(bounces_on, member, make_bounce):
    bounces_on(soft={"count": 2, "action": "blocklist", "window_days": 30})
    make_bounce(member, type="soft", created_at=timezone.now() - timedelta(days=40))
    old = timezone.now() - timedelta(days=31)
    record_bounces([nb(key="k1"), nb(key="k2", created_at=old)])
    member.refresh_from_db()
    assert member.status == Subscriber.Status.ENABLED  # 1 in the window
    record_bounces([nb(key="k3")])
    (trace,) = actions_of(member)
    assert (trace.bounce_count, trace.window_days) == (2, 30)
    assert "in the last 30 days" in trace.reason


def test_it_records_bounces_without_an_event_key(bounces_on, member):
    results = record_bounces([nb(), nb()])
    assert all(r.created for r in results)
    assert results[0].bounce_id != results[1].bounce_id
    assert Bounce.objects.filter(event_key=None).count() == 2


def test_it_writes_the_trace_record_bounce_writes(bounces_on, member, make_subscriber):
    """The bulk blocklist must not drift from bounces.thresholds._act."""
    twin = make_subscriber("twin@example.com")
    for sub in Subscription.objects.filter(subscriber=member):
        Subscription.objects.create(subscriber=twin, list=sub.list, status=sub.status)
    bounces_on(hard={"count": 1, "action": "blocklist"})
    record_bounce(nb("twin@example.com", btype="hard", key="one"))
    record_bounces([nb(btype="hard", key="bulk")])
    fields = [
        "action",
        "bounce_type",
        "bounce_count",
        "threshold",
        "window_days",
        "trigger",
        "reason",
        "deleted_bounces",
        "previous_status",
        "changed_subscriptions",
    ]
    (alone,) = BounceAction.objects.filter(subscriber=twin).values(*fields)
    (bulk,) = BounceAction.objects.filter(subscriber=member).values(*fields)
    assert bulk == alone
    assert bulk["changed_subscriptions"]  # the two confirmed memberships
    for sub in (member, twin):
        sub.refresh_from_db()
        assert sub.status == Subscriber.Status.BLOCKLISTED


def test_an_unsubscribe_that_changes_nothing_leaves_no_trace(
    bounces_on, make_subscriber
):
    bounces_on(hard={"count": 1, "action": "unsubscribe"})
    loner = make_subscriber("loner@example.com")  # no memberships
    record_bounces([nb("loner@example.com", btype="hard", key="k1")])
    assert actions_of(loner) == []
    assert Bounce.objects.filter(subscriber=loner).count() == 1


def test_two_rules_due_for_one_subscriber_act_once(bounces_on, member):
    bounces_on(
        hard={"count": 1, "action": "blocklist"},
        complaint={"count": 1, "action": "blocklist"},
    )
    record_bounces([nb(btype="complaint", key="k1"), nb(btype="hard", key="k2")])
    (trace,) = actions_of(member)
    assert trace.action == "blocklist"
    assert Bounce.objects.filter(subscriber=member).count() == 2


def test_a_delete_action_takes_the_batch_bounces_along(
    bounces_on, member, make_subscriber
):
    bounces_on(hard={"count": 2, "action": "delete"})
    other = make_subscriber("b@example.com")
    results = record_bounces(
        [
            nb(btype="hard", key="k1"),
            nb("b@example.com", btype="hard", key="k2"),
            nb(btype="hard", key="k3"),
        ]
    )
    assert not Subscriber.objects.filter(id=member.id).exists()
    assert [r.bounce_id is None for r in results] == [True, False, True]
    assert list(Bounce.objects.values_list("subscriber_id", flat=True)) == [other.id]
    trace = BounceAction.objects.get(action="delete")
    assert (trace.bounce_count, trace.deleted_bounces) == (2, 2)
    assert results[2].actions == [trace]


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_neither_deadlock_nor_act_or_record_twice(make_subscriber):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    require_service("PostgreSQL", "127.0.0.1", 5432)
    update_settings({"bounce.enabled": True})  # hard: blocklist at 1; soft: none
    # Enough rows that batches taking their locks in different orders deadlock
    # (a batch inserting in reverse id order failed this test every time).
    emails = [make_subscriber(f"s{i}@example.com").email for i in range(300)]
    forward = list(enumerate(emails))
    backward = list(reversed(forward))
    batches = [
        [nb(e, btype="hard", key=f"a{i}") for i, e in forward],
        [nb(e, btype="hard", key=f"b{i}") for i, e in backward],  # locks too
        [nb(e, btype="soft", key=f"c{i}") for i, e in backward],  # no lock
        [nb(e, btype="hard", key=f"a{i}") for i, e in backward],  # a provider retry
    ]
    barrier = threading.Barrier(len(batches))
    results, errors = [], []

    def worker(items):
        try:
            barrier.wait()
            results.append(record_bounces(items))
        except Exception as e:  # reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Bounce.objects.count() == 900  # a, b and c once each
    assert sum(r.created for batch in results for r in batch) == 900
    # Each subscriber blocklisted by exactly one of the two hard batches.
    assert Subscriber.objects.filter(status="blocklisted").count() == 300
    assert BounceAction.objects.count() == 300
