"""Stored events become bounces exactly once; failures are kept, retried, re-run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.datastructures import CaseInsensitiveMapping

from bounces.models import Bounce
from stmails.config import update_settings
from webhooks import services, tasks
from webhooks.models import WebhookEvent
from webhooks.providers.base import ProviderEvent

CAMPAIGN_UUID = "9f86b50d-5711-41c8-ab03-bc91c43d711b"


def store(*events: ProviderEvent, slug="postmark"):
    headers = CaseInsensitiveMapping({"Authorization": "Basic x", "User-Agent": "pm"})
    return services.store_events(slug, list(events), headers)


def event(email="a@example.com", key="k1", kind="hard", **kw) -> ProviderEvent:
    return ProviderEvent(email=email, type=kind, event_key=key, message_id="m1", **kw)


@pytest.fixture
def on(db):
    update_settings({"bounce.enabled": True})


def test_it_stores_new_events_and_skips_duplicates(on):
    first = store(event(), event(key="k2"), event(key="k1"))
    assert (first.stored, first.duplicates, len(first.new_ids)) == (2, 1, 2)
    again = store(event(), event(key="k3", kind="ignored"))
    assert (again.stored, again.duplicates, again.new_ids) == (1, 1, [])
    assert WebhookEvent.objects.get(event_key="k3").status == "ignored"


def test_it_keeps_only_harmless_headers(on):
    store(event())
    assert WebhookEvent.objects.get().headers == {"user-agent": "pm"}


def test_it_records_a_bounce_once(on, make_subscriber):
    sub = make_subscriber("a@example.com")
    (event_id,) = store(event(campaign_uuid=CAMPAIGN_UUID)).new_ids
    assert services.process_event(event_id) == "processed"
    assert services.process_event(event_id) is None  # already done: nothing happens
    bounce = Bounce.objects.get()
    assert (bounce.subscriber_id, bounce.type, bounce.source) == (
        sub.id,
        "hard",
        "postmark",
    )
    assert bounce.event_key == "postmark:k1"
    assert bounce.provider_message_id == "m1"
    assert bounce.meta["unknown_campaign"] == CAMPAIGN_UUID
    row = WebhookEvent.objects.get()
    assert (row.bounce_id, row.attempts, row.error) == (bounce.id, 1, "")


def test_it_links_the_campaign(on, make_subscriber):
    from campaigns.models import Campaign

    campaign = Campaign.objects.create(name="c", subject="s")
    make_subscriber("a@example.com")
    (event_id,) = store(event(campaign_uuid=str(campaign.uuid))).new_ids
    services.process_event(event_id)
    assert Bounce.objects.get().campaign_id == campaign.id


def test_it_ignores_an_unknown_subscriber_and_keeps_why(on):
    (event_id,) = store(event(email="nobody@example.com")).new_ids
    assert services.process_event(event_id) == "ignored"
    assert "not found" in WebhookEvent.objects.get().error
    assert services.due_event_ids() == []


def test_it_keeps_a_failure_and_retries_it(db, make_subscriber):
    make_subscriber("a@example.com")
    (event_id,) = store(event()).new_ids
    assert services.process_event(event_id) == "failed"  # bounce processing is off
    row = WebhookEvent.objects.get()
    assert "disabled" in row.error and row.attempts == 1
    assert services.due_event_ids() == [event_id]

    update_settings({"bounce.enabled": True})
    assert tasks.retry_webhook_events.apply().get() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error) == ("processed", 2, "")
    assert Bounce.objects.count() == 1


def test_it_stops_retrying_after_the_cap(db):
    (event_id,) = store(event()).new_ids
    WebhookEvent.objects.filter(id=event_id).update(
        status="failed", attempts=services.MAX_ATTEMPTS
    )
    assert services.due_event_ids() == []


def test_it_hands_stuck_received_events_to_the_worker(on):
    (event_id,) = store(event()).new_ids
    assert services.due_event_ids() == []
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(minutes=10))
    assert services.due_event_ids() == [event_id]


def test_it_reruns_an_ignored_event_once_the_subscriber_exists(on, make_subscriber):
    (event_id,) = store(event()).new_ids
    services.process_event(event_id)
    make_subscriber("a@example.com")
    assert services.rerun_event(event_id) == "processed"
    with pytest.raises(services.WebhookError, match="already recorded"):
        services.rerun_event(event_id)


def test_it_refuses_to_rerun_an_event_that_never_bounces(on):
    store(event(kind="ignored"))
    with pytest.raises(services.WebhookError, match="never records"):
        services.rerun_event(WebhookEvent.objects.get().id)


def test_the_batch_task_counts_by_status(on, make_subscriber):
    make_subscriber("a@example.com")
    ids = store(event(), event(email="b@example.com", key="k2")).new_ids
    assert tasks.process_webhook_events.apply(kwargs={"event_ids": ids}).get() == {
        "processed": 1,
        "ignored": 1,
    }


def test_the_same_event_from_two_providers_is_two_bounces(on, make_subscriber):
    make_subscriber("a@example.com")
    ids = store(event()).new_ids + store(event(), slug="sendgrid").new_ids
    for event_id in ids:
        services.process_event(event_id)
    assert sorted(Bounce.objects.values_list("event_key", flat=True)) == [
        "postmark:k1",
        "sendgrid:k1",
    ]


def test_it_prunes_old_finished_events(on):
    store(event(kind="ignored"), event(key="k2"))
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(days=40))
    assert services.prune_events() == 1
    assert WebhookEvent.objects.get().event_key == "k2"


# --- groups: one record_bounces per stored request ----------------------------------


def test_a_group_keeps_each_events_own_outcome(on, make_subscriber):
    sub = make_subscriber("a@example.com")
    ids = store(
        event(),
        event(email="nobody@example.com", key="k2"),
        event(key="k3", kind="soft"),
        event(key="k4"),
    ).new_ids
    # A malformed uuid (the parsers never store one): fails alone.
    WebhookEvent.objects.filter(event_key="k4").update(subscriber_uuid="junk")
    counts, failed = services.process_events(ids)
    assert counts == {"processed": 2, "ignored": 1, "failed": 1}
    rows = {e.event_key: e for e in WebhookEvent.objects.all()}
    assert failed == [rows["k4"].id]
    assert "not a valid UUID" in rows["k4"].error
    assert "not found" in rows["k2"].error
    for key in ("k1", "k3"):
        assert rows[key].bounce.subscriber_id == sub.id
        assert (rows[key].attempts, rows[key].error) == (1, "")
        assert rows[key].processed_at is not None
    assert Bounce.objects.count() == 2
    assert services.process_events(ids) == (
        {"skipped": 3, "failed": 1},
        [rows["k4"].id],
    )
    assert Bounce.objects.count() == 2


def test_a_group_crossing_a_threshold_acts_once(on, make_subscriber):
    from bounces.models import BounceAction
    from subscribers.models import Subscriber

    update_settings({"bounce.actions": {"soft": {"count": 2, "action": "blocklist"}}})
    sub = make_subscriber("a@example.com")
    ids = store(*(event(key=f"k{i}", kind="soft") for i in range(3))).new_ids
    assert services.process_events(ids) == ({"processed": 3}, [])
    sub.refresh_from_db()
    assert sub.status == Subscriber.Status.BLOCKLISTED
    assert BounceAction.objects.get().bounce_count == 3
    assert Bounce.objects.count() == 3


def test_a_delete_action_leaves_the_events_processed_without_a_bounce(
    on, make_subscriber
):
    update_settings({"bounce.actions": {"hard": {"count": 1, "action": "delete"}}})
    make_subscriber("a@example.com")
    ids = store(event(), event(key="k2")).new_ids
    assert services.process_events(ids) == ({"processed": 2}, [])
    assert list(WebhookEvent.objects.values_list("bounce", flat=True)) == [None, None]
    assert not Bounce.objects.exists()


def test_a_group_that_fails_as_a_whole_goes_one_by_one(
    on, make_subscriber, monkeypatch
):
    from bounces import recording

    real = recording.record_bounces

    def fragile(items, **kw):
        if len(items) > 1:
            raise RuntimeError("the whole group failed")
        return real(items, **kw)

    monkeypatch.setattr(services, "record_bounces", fragile)
    make_subscriber("a@example.com")
    ids = store(event(), event(key="k2")).new_ids
    assert services.process_events(ids) == ({"processed": 2}, [])
    assert Bounce.objects.count() == 2


def test_an_unexpected_error_is_kept_on_the_event(on, make_subscriber, monkeypatch):
    def broken(items, **kw):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "record_bounces", broken)
    make_subscriber("a@example.com")
    (event_id,) = store(event()).new_ids
    assert services.process_event(event_id) == "failed"
    row = WebhookEvent.objects.get()
    assert (row.error, row.attempts) == ("RuntimeError: boom", 1)


def test_a_request_group_retries_its_failures_but_a_beat_group_does_not(
    db, make_subscriber, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        tasks.process_webhook_event, "apply_async", lambda **kw: sent.append(kw)
    )
    make_subscriber("a@example.com")
    ids = store(event(), event(key="k2")).new_ids  # bounce processing is off: failed
    assert tasks.process_webhook_events.apply(kwargs={"event_ids": ids}).get() == {
        "failed": 2
    }
    assert sorted(s["kwargs"]["event_id"] for s in sent) == sorted(ids)
    sent.clear()
    assert tasks.retry_webhook_events.apply().get() == 2
    assert sent == []
    assert set(WebhookEvent.objects.values_list("attempts", flat=True)) == {2}


def test_the_bounce_carries_the_events_reason(on, make_subscriber):
    make_subscriber("a@example.com")
    make_subscriber("b@example.com")
    make_subscriber("c@example.com")
    ids = store(
        event(reason="userunknown"),
        # No provider code: read from the SMTP status and text it passed on.
        event(
            email="b@example.com",
            key="k2",
            kind="soft",
            status="4.2.2",
            diagnostic="452 4.2.2 mailbox full",
        ),
        event(email="c@example.com", key="k3", kind="complaint"),
    ).new_ids
    for event_id in ids:
        services.process_event(event_id)
    got = dict(Bounce.objects.values_list("email", "reason"))
    assert got == {
        "a@example.com": "userunknown",
        "b@example.com": "mailboxfull",
        "c@example.com": "feedback",
    }
    assert WebhookEvent.objects.get(event_key="k2").reason == "mailboxfull"
