"""record_bounce: thresholds and actions, windows, idempotency, the trace."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bounces.models import Bounce, BounceAction
from bounces.recording import record_bounce
from bounces.services import BounceError, NewBounce
from stmails.config import update_settings
from subscribers.models import Subscriber, Subscription
from tests.conftest import require_service


@pytest.fixture
def member(make_subscriber, make_list):
    """A subscriber confirmed on two lists."""
    subscriber = make_subscriber("member@example.com")
    for name in ("News", "Offers"):
        Subscription.objects.create(
            subscriber=subscriber,
            list=make_list(name),
            status=Subscription.Status.CONFIRMED,
        )
    return subscriber


def bounce(subscriber_email: str, btype: str = "hard", **kw) -> Bounce:
    return record_bounce(
        NewBounce(type=btype, source="test", email=subscriber_email, **kw)
    ).bounce


def statuses(subscriber) -> set[str]:
    return set(
        Subscription.objects.filter(subscriber=subscriber).values_list(
            "status", flat=True
        )
    )


@pytest.mark.parametrize("btype", ["hard", "soft", "complaint"])
def test_it_does_nothing_with_action_none(bounces_on, member, btype):
    bounces_on(**{btype: {"count": 1, "action": "none"}})
    for _ in range(3):
        bounce(member.email, btype)
    member.refresh_from_db()
    assert member.status == Subscriber.Status.ENABLED
    assert statuses(member) == {"confirmed"}
    assert Bounce.objects.filter(subscriber=member).count() == 3
    assert not BounceAction.objects.exists()


@pytest.mark.parametrize("btype", ["hard", "soft", "complaint"])
def test_it_unsubscribes_at_the_threshold_not_below(bounces_on, member, btype):
    bounces_on(**{btype: {"count": 3, "action": "unsubscribe"}})
    bounce(member.email, btype)
    bounce(member.email, btype)
    assert statuses(member) == {"confirmed"}  # below
    bounce(member.email, btype)  # at
    assert statuses(member) == {"unsubscribed"}
    member.refresh_from_db()
    assert member.status == Subscriber.Status.ENABLED
    bounce(member.email, btype)  # past: recorded, nothing more to do
    assert Bounce.objects.filter(subscriber=member).count() == 4
    trace = BounceAction.objects.get()
    assert (trace.action, trace.bounce_type, trace.bounce_count, trace.threshold) == (
        "unsubscribe", btype, 3, 3,
    )  # fmt: skip
    assert trace.trigger == "bounce"
    assert f"3 {btype} bounce(s)" in trace.reason


@pytest.mark.parametrize("btype", ["hard", "soft", "complaint"])
def test_it_blocklists_and_unsubscribes_at_the_threshold(bounces_on, member, btype):
    bounces_on(**{btype: {"count": 2, "action": "blocklist"}})
    bounce(member.email, btype)
    member.refresh_from_db()
    assert member.status == Subscriber.Status.ENABLED  # below
    bounce(member.email, btype)  # at
    member.refresh_from_db()
    assert member.status == Subscriber.Status.BLOCKLISTED
    # Unlike listmonk, the blocklist action also unsubscribes, as a manual blocklist.
    assert statuses(member) == {"unsubscribed"}
    bounce(member.email, btype)  # past: still recorded
    assert Bounce.objects.filter(subscriber=member).count() == 3
    assert BounceAction.objects.filter(action="blocklist").count() == 1


@pytest.mark.parametrize("btype", ["hard", "soft", "complaint"])
def test_it_deletes_the_subscriber_and_its_bounces_at_the_threshold(
    bounces_on, member, btype
):
    other_type = "soft" if btype != "soft" else "hard"
    bounces_on(
        **{btype: {"count": 2, "action": "delete"}, other_type: {"action": "none"}}
    )
    bounce(member.email, other_type)
    bounce(member.email, btype)
    assert Subscriber.objects.filter(id=member.id).exists()  # below
    bounce(member.email, btype)  # at
    assert not Subscriber.objects.filter(id=member.id).exists()
    assert not Bounce.objects.exists()
    trace = BounceAction.objects.get()
    assert trace.subscriber is None  # the trace outlives the subscriber
    assert trace.email == "member@example.com"
    assert trace.deleted_bounces == 3
    assert "3 bounce(s) were deleted" in trace.reason
    with pytest.raises(BounceError) as err:  # past: nobody left to bounce
        bounce(member.email, btype)
    assert err.value.status == 404


def test_it_counts_only_bounces_inside_the_window(bounces_on, member):
    bounces_on(soft={"count": 2, "action": "blocklist", "window_days": 7})
    old = timezone.now() - timedelta(days=30)
    bounce(member.email, "soft", created_at=old)
    bounce(member.email, "soft", created_at=old)
    bounce(member.email, "soft")
    member.refresh_from_db()
    assert member.status == Subscriber.Status.ENABLED
    bounce(member.email, "soft", created_at=timezone.now() - timedelta(days=6))
    member.refresh_from_db()
    assert member.status == Subscriber.Status.BLOCKLISTED
    assert "in the last 7 days" in BounceAction.objects.get().reason


def test_it_counts_types_separately(bounces_on, member):
    bounces_on(
        soft={"count": 2, "action": "blocklist"},
        hard={"count": 2, "action": "none"},
        complaint={"count": 2, "action": "none"},
    )
    bounce(member.email, "hard")
    bounce(member.email, "complaint")
    bounce(member.email, "soft")
    member.refresh_from_db()
    assert member.status == Subscriber.Status.ENABLED


def test_it_stores_one_bounce_per_event_key(bounces_on, member):
    bounces_on(soft={"count": 2, "action": "blocklist"})
    first = record_bounce(
        NewBounce(type="soft", source="ses", email=member.email, event_key="e1")
    )
    again = record_bounce(
        NewBounce(type="soft", source="ses", email=member.email, event_key="e1")
    )
    assert first.created and not again.created
    assert again.bounce.id == first.bounce.id
    assert Bounce.objects.count() == 1
    member.refresh_from_db()
    assert member.status == Subscriber.Status.ENABLED  # the retry did not count twice


def test_it_records_every_bounce_of_a_blocklisted_subscriber(bounces_on, member):
    member.status = Subscriber.Status.BLOCKLISTED
    member.save()
    for _ in range(3):
        bounce(member.email, "hard")
    assert Bounce.objects.filter(subscriber=member).count() == 3
    assert not BounceAction.objects.exists()  # nothing left to change


def test_it_records_nothing_when_bounce_processing_is_off(db, member):
    update_settings({"bounce.enabled": False})
    with pytest.raises(BounceError) as err:
        bounce(member.email)
    assert err.value.status == 503
    assert not Bounce.objects.exists()


def test_it_resets_the_count_through_the_api(bounces_on, member, api_client):
    bounces_on(soft={"count": 2, "action": "unsubscribe"})
    bounce(member.email, "soft")
    r = api_client.delete(f"/api/subscribers/{member.id}/bounces")
    assert r.status_code == 200 and r.json() == {"data": True}
    assert not Bounce.objects.filter(subscriber=member).exists()
    bounce(member.email, "soft")  # one bounce since the reset: below the threshold
    assert statuses(member) == {"confirmed"}
    bounce(member.email, "soft")
    assert statuses(member) == {"unsubscribed"}


@pytest.mark.django_db(transaction=True)
def test_it_stores_a_concurrent_duplicate_once(member):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    require_service("PostgreSQL", "127.0.0.1", 5432)
    update_settings({"bounce.enabled": True})
    barrier = threading.Barrier(4)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(
                record_bounce(
                    NewBounce(
                        type="soft",
                        source="ses",
                        email=member.email,
                        event_key="race-1",
                    )
                )
            )
        except Exception as e:  # reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Bounce.objects.filter(event_key="race-1").count() == 1
    assert sum(r.created for r in results) == 1
    assert len({r.bounce.id for r in results}) == 1
