"""Sending event webhooks to a real HTTP receiver on loopback: headers, retries, log."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from stmails.event_hooks import delivery as delivery_mod
from stmails.event_hooks import services as event_hooks
from stmails.lib import standard_webhooks as sw
from stmails.models import EventDelivery
from tests.stmails.event_hooks.helpers import Receiver, make_hook
from tests.stmails.outbox_helpers import free_port

# The receivers listen on 127.0.0.1, which outgoing HTTP refuses by default.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("allow_loopback_receivers"),
]


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def emit(django_capture_on_commit_callbacks):
    """emit as a service uses it: the send runs (eagerly) when the transaction commits."""

    def emit(event_type="subscriber.deleted", data=None):
        with django_capture_on_commit_callbacks(execute=True):
            rows = event_hooks.emit(event_type, [data or {"subscriber": {"id": 1}}])
        for row in rows:
            row.refresh_from_db()
        return rows

    return emit


def test_it_posts_signed_json_with_standard_webhooks_headers(receiver, emit):
    hook, secret = make_hook(receiver.url)
    [row] = emit("subscriber.deleted", {"subscriber": {"id": 7}, "reason": "admin"})

    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 1, 200)
    assert row.response_excerpt == "ok" and row.delivered_at is not None
    [request] = receiver.requests
    assert request.path == "/hooks/stmails"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == row.message_id
    assert row.message_id.startswith("msg_")
    assert (
        abs(int(request.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    )
    assert request.body == row.payload.encode()
    # The reference library, with the secret as the admin copied it.
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "subscriber.deleted"
    assert payload["data"] == {"subscriber": {"id": 7}, "reason": "admin"}
    assert payload["timestamp"].endswith("Z")
    assert list(payload) == ["type", "timestamp", "data"]


def test_it_sends_one_event_to_every_listening_endpoint_with_one_message_id(
    receiver, emit
):
    make_hook(receiver.url, name="A")
    make_hook(receiver.url, name="B", events=["subscriber.deleted"])
    make_hook(receiver.url, name="Off", enabled=False)
    make_hook(receiver.url, name="Bounces only", events=["bounce.recorded"])
    rows = emit("subscriber.deleted")
    assert sorted(r.hook.name for r in rows) == ["A", "B"]
    assert len({r.message_id for r in rows}) == 1
    assert len(receiver.requests) == 2


def test_it_retries_a_500_with_backoff_and_the_same_webhook_id(emit):
    receiver = Receiver(statuses=(500, 503, 200), reply=b"busy")
    try:
        hook, secret = make_hook(receiver.url)
        [row] = emit()
        assert (row.status, row.attempts, row.last_status_code) == (
            "awaiting_retry",
            1,
            500,
        )
        assert row.last_error == f"HTTP 500 from 127.0.0.1:{receiver.port}"
        assert row.next_try_at - row.claimed_at == timedelta(seconds=30)

        # Not due yet: nothing is sent.
        assert (
            delivery_mod.deliver_due(now=row.next_try_at - timedelta(seconds=1)).retried
            == 0
        )
        assert len(receiver.requests) == 1

        delivery_mod.deliver_due(now=row.next_try_at + timedelta(seconds=1))
        row.refresh_from_db()
        assert (row.status, row.attempts, row.last_status_code) == (
            "awaiting_retry",
            2,
            503,
        )
        assert row.next_try_at - row.claimed_at == timedelta(seconds=120)

        delivery_mod.deliver_due(now=row.next_try_at + timedelta(seconds=1))
        row.refresh_from_db()
        assert (row.status, row.attempts, row.last_status_code) == ("delivered", 3, 200)
        assert row.last_error == "" and row.next_try_at is None
    finally:
        receiver.stop()
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert ids == {row.message_id}
    assert {r.body for r in receiver.requests} == {row.payload.encode()}
    # Each attempt is signed anew, for its own timestamp.
    for r in receiver.requests:
        assert sw.verify(
            secret, row.message_id, int(r.headers["webhook-timestamp"]), r.body,
            r.headers["webhook-signature"],
        )  # fmt: skip


def test_it_backs_off_longer_each_time_then_fails_while_the_receiver_is_down(emit):
    port = free_port()  # nothing listens there
    make_hook(f"http://127.0.0.1:{port}/hook")
    [row] = emit()
    waits = []
    for _ in range(delivery_mod.MAX_ATTEMPTS - 1):
        assert row.status == "awaiting_retry"
        assert "cannot reach 127.0.0.1" in row.last_error
        assert row.last_status_code is None
        waits.append(round((row.next_try_at - row.claimed_at).total_seconds()))
        delivery_mod.deliver_due(now=row.next_try_at + timedelta(seconds=1))
        row.refresh_from_db()
    assert waits == list(delivery_mod.BACKOFF)
    assert sum(waits) > 20 * 3600  # about a day of retries
    assert (row.status, row.attempts) == ("failed", delivery_mod.MAX_ATTEMPTS)
    assert row.next_try_at is None
    assert delivery_mod.deliver_due(now=row.claimed_at + timedelta(days=2)).retried == 0


def test_a_redirect_is_a_failure_not_followed(emit):
    receiver = Receiver(statuses=(301,))
    try:
        make_hook(receiver.url)
        [row] = emit()
    finally:
        receiver.stop()
    assert (row.status, row.last_status_code) == ("awaiting_retry", 301)
    assert len(receiver.requests) == 1


def test_a_claimed_delivery_is_sent_only_once(receiver, emit):
    make_hook(receiver.url)
    [row] = emit()
    assert delivery_mod.deliver(row.pk) == "skipped"
    assert len(receiver.requests) == 1


def test_a_row_of_a_dead_worker_is_sent_again_with_the_same_id(receiver):
    hook, _ = make_hook(receiver.url)
    [row] = event_hooks.emit("subscriber.deleted", [{}])
    claimed_at = timezone.now() - timedelta(minutes=6)
    EventDelivery.objects.filter(pk=row.pk).update(
        status="delivering", claimed_at=claimed_at, attempts=1
    )
    assert (
        delivery_mod.deliver_due(now=claimed_at + timedelta(minutes=1)).recovered == 0
    )
    assert delivery_mod.deliver_due().recovered == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("delivered", 2)
    assert receiver.requests[0].headers["webhook-id"] == row.message_id


def test_a_lost_queue_message_is_enqueued_again(receiver):
    make_hook(receiver.url)
    [row] = event_hooks.emit("subscriber.deleted", [{}])  # never committed: not sent
    assert receiver.requests == []
    assert delivery_mod.deliver_due(now=row.enqueued_at).requeued_lost == 0
    later = row.enqueued_at + delivery_mod.REENQUEUE_AFTER + timedelta(seconds=1)
    assert delivery_mod.deliver_due(now=later).requeued_lost == 1
    row.refresh_from_db()
    assert row.status == "delivered" and len(receiver.requests) == 1


def test_a_disabled_endpoint_gets_nothing_more(receiver):
    hook, _ = make_hook(receiver.url)
    [row] = event_hooks.emit("subscriber.deleted", [{}])
    hook.enabled = False
    hook.save()
    assert delivery_mod.deliver(row.pk) == "failed"
    row.refresh_from_db()
    assert row.last_error == "the endpoint is disabled"
    assert receiver.requests == []


def test_retry_now_queues_a_failed_delivery_once_more(emit):
    receiver = Receiver(statuses=(500, 204))
    try:
        make_hook(receiver.url)
        [row] = emit()
        EventDelivery.objects.filter(pk=row.pk).update(
            status="failed", next_try_at=None
        )
        row.refresh_from_db()
        assert event_hooks.retry_delivery(row)  # on commit: not run in this test
        assert delivery_mod.deliver(row.pk) == "delivered"
        assert not event_hooks.retry_delivery(row)  # delivered: nothing to retry
    finally:
        receiver.stop()
    row.refresh_from_db()
    assert (row.attempts, row.last_status_code) == (2, 204)


def test_the_previous_secret_signs_until_the_rotation_overlap_ends(receiver, emit):
    hook, old = make_hook(receiver.url)
    new = event_hooks.rotate_secret(hook)
    emit()
    request = receiver.requests[0]
    for secret in (new, old):
        Webhook(secret).verify(request.body, request.headers)
    hook.refresh_from_db()
    later = hook.previous_secret_until + timedelta(seconds=1)
    assert hook.signing_secrets(later) == [new]


def test_it_prunes_finished_rows_after_30_days(receiver, emit):
    make_hook(receiver.url)
    [row] = emit()
    later = row.created_at + delivery_mod.KEEP_FINISHED
    assert delivery_mod.deliver_due(now=later).pruned == 0
    assert delivery_mod.deliver_due(now=later + timedelta(seconds=1)).pruned == 1
    assert not EventDelivery.objects.exists()


def test_the_body_is_the_stored_payload_byte_for_byte(receiver, emit):
    make_hook(receiver.url)
    [row] = emit(
        "bounce.recorded", {"email": "zoë@example.com", "meta": {"b": 1, "a": 2}}
    )
    assert receiver.requests[0].body == row.payload.encode()
    assert json.loads(row.payload)["data"]["meta"] == {"b": 1, "a": 2}
