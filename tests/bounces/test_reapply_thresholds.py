"""reapply_thresholds: the beat task and the command act on existing bounces, once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from bounces.models import Bounce, BounceAction
from bounces.recording import record_bounce
from bounces.services import NewBounce
from bounces.tasks import reapply_thresholds
from subscribers.models import Subscriber, Subscription
from tests.bounces.conftest import set_actions


@pytest.fixture
def bounced(bounces_on, make_subscriber, make_list):
    """Three subscribers with 2, 1 and 0 hard bounces, recorded while the hard action was none."""
    set_actions(hard={"count": 1, "action": "none"})
    news = make_list("News")
    subs = []
    for i, n in enumerate((2, 1, 0)):
        s = make_subscriber(f"s{i}@example.com")
        Subscription.objects.create(subscriber=s, list=news, status="confirmed")
        for _ in range(n):
            record_bounce(NewBounce(type="hard", source="import", email=s.email))
        subs.append(s)
    return subs


def status(subscriber) -> str:
    subscriber.refresh_from_db()
    return subscriber.status


def test_it_applies_changed_thresholds_to_existing_subscribers_once(bounced):
    twice, once, never = bounced
    set_actions(hard={"count": 2, "action": "blocklist"})
    result = reapply_thresholds.apply().get()
    assert result["actions"] == {"blocklist": 1}
    assert status(twice) == "blocklisted"
    assert status(once) == status(never) == "enabled"
    assert set(
        Subscription.objects.filter(subscriber=twice).values_list("status", flat=True)
    ) == {"unsubscribed"}
    trace = BounceAction.objects.get()
    assert (trace.trigger, trace.subscriber_id, trace.bounce_count) == (
        "reapply",
        twice.id,
        2,
    )
    # A second run finds nothing to do.
    assert reapply_thresholds.apply().get()["actions"] == {}
    assert BounceAction.objects.count() == 1


def test_it_does_not_overrule_an_admin_who_lifted_the_blocklist(bounced):
    twice, *_ = bounced
    set_actions(hard={"count": 2, "action": "blocklist"})
    reapply_thresholds.apply()
    Subscriber.objects.filter(id=twice.id).update(
        status="enabled"
    )  # the admin lifts it
    assert reapply_thresholds.apply().get()["actions"] == {}
    assert status(twice) == "enabled"
    # A new bounce past the threshold acts again.
    record_bounce(NewBounce(type="hard", source="api", email=twice.email))
    assert status(twice) == "blocklisted"
    assert BounceAction.objects.filter(subscriber=twice).count() == 2


def test_it_deletes_and_counts_the_bounces_deleted(bounced):
    twice, once, _ = bounced
    set_actions(hard={"count": 1, "action": "delete"})
    result = reapply_thresholds.apply().get()
    assert result == {"checked": 2, "actions": {"delete": 2}, "deleted_bounces": 3}
    assert not Subscriber.objects.filter(id__in=[twice.id, once.id]).exists()
    assert not Bounce.objects.exists()


def test_it_does_nothing_while_bounce_processing_is_off(bounced):
    from stmails.config import update_settings

    set_actions(hard={"count": 1, "action": "blocklist"})
    update_settings({"bounce.enabled": False})
    assert reapply_thresholds.apply().get()["actions"] == {}
    assert not BounceAction.objects.exists()


def test_the_command_prints_the_summary_and_can_dry_run(bounced):
    twice, once, _ = bounced
    set_actions(hard={"count": 1, "action": "blocklist"})
    out = StringIO()
    call_command("reapply_bounce_thresholds", "--dry-run", stdout=out)
    assert "dry run" in out.getvalue() and "blocklist: 2" in out.getvalue()
    assert status(twice) == "enabled" and not BounceAction.objects.exists()
    out = StringIO()
    call_command("reapply_bounce_thresholds", stdout=out)
    assert "checked 2 subscriber(s); actions: blocklist: 2" in out.getvalue()
    assert status(twice) == status(once) == "blocklisted"
