"""Unmatched bounces page, the raw-message viewer and undo of a false bounce."""

from __future__ import annotations

from bounces.models import Bounce, BounceAction, RawMessage, UnmatchedBounce
from bounces.recording import record_bounce
from bounces.services import NewBounce
from subscribers.models import Subscription

RAW = b"From: MAILER-DAEMON@mx.example.net\r\nSubject: Undelivered\r\n\r\nUser unknown\r\n"


def _raw(sha="a" * 64):
    return RawMessage.objects.create(sha256=sha, data=RAW, size=len(RAW))


def test_it_lists_unmatched_bounces_with_the_reason_and_raw(client_alice):
    entry = UnmatchedBounce.objects.create(
        reason="not_subscriber",
        detail="x@example.org: no subscriber has this email address",
        email="x@example.org",
        type="hard",
        mailbox_name="main",
        raw_message=_raw(),
    )

    page = client_alice.get("/bounces/unmatched").content.decode()
    raw = client_alice.get(f"/bounces/unmatched/{entry.pk}/raw")

    assert "recipient is not a subscriber" in page and "x@example.org" in page
    assert raw["Content-Type"] == "message/rfc822"
    assert raw.content == RAW


def test_it_deletes_unmatched_bounces_and_their_raw_messages(client_alice):
    keep = UnmatchedBounce.objects.create(reason="no_recipient")
    gone = UnmatchedBounce.objects.create(reason="unparseable", raw_message=_raw())

    client_alice.post("/bounces/unmatched/delete", {"id": [gone.pk]})

    assert list(UnmatchedBounce.objects.all()) == [keep]
    assert not RawMessage.objects.exists()


def test_it_shows_a_recorded_bounces_raw_message(
    client_alice, bounces_on, make_subscriber
):
    sub = make_subscriber("dead@example.com")
    raw = _raw()
    result = record_bounce(
        NewBounce(type="soft", source="pop", email=sub.email, raw_message_id=raw.id)
    )

    page = client_alice.get(f"/bounces/{result.bounce.pk}/raw").content.decode()
    index = client_alice.get("/bounces/").content.decode()

    assert "User unknown" in page
    assert f'href="/bounces/{result.bounce.pk}/raw" class="raw-link">raw<' in index
    assert client_alice.get(f"/bounces/{result.bounce.pk}/raw.eml").content == RAW


def test_undo_reverts_a_blocklist(client_alice, bounces_on, make_subscriber, make_list):
    news, promo, old = make_list("News"), make_list("Promo"), make_list("Old")
    sub = make_subscriber("dead@example.com")
    Subscription.objects.create(subscriber=sub, list=news, status="confirmed")
    Subscription.objects.create(subscriber=sub, list=promo, status="unconfirmed")
    Subscription.objects.create(subscriber=sub, list=old, status="unsubscribed")
    bounce = record_bounce(NewBounce(type="hard", source="pop", email=sub.email)).bounce
    sub.refresh_from_db()
    assert sub.status == "blocklisted"

    response = client_alice.post(f"/bounces/{bounce.pk}/undo", follow=True)

    assert "blocklist lifted" in response.content.decode()
    sub.refresh_from_db()
    assert sub.status == "enabled"
    statuses = dict(Subscription.objects.values_list("list__name", "status"))
    assert statuses == {
        "News": "confirmed",
        "Promo": "unconfirmed",
        "Old": "unsubscribed",
    }
    assert not Bounce.objects.exists()
    trace = BounceAction.objects.get()
    assert trace.reverted_at is not None and "reverted" in trace.reason


def test_undo_reverts_an_unsubscribe(
    client_alice, bounces_on, make_subscriber, make_list
):
    bounces_on(soft={"count": 1, "action": "unsubscribe"})
    news = make_list("News")
    sub = make_subscriber("full@example.com")
    Subscription.objects.create(subscriber=sub, list=news, status="confirmed")
    bounce = record_bounce(NewBounce(type="soft", source="pop", email=sub.email)).bounce
    assert Subscription.objects.get().status == "unsubscribed"

    client_alice.post(f"/bounces/{bounce.pk}/undo")

    assert Subscription.objects.get().status == "confirmed"
    sub.refresh_from_db()
    assert sub.status == "enabled"


def test_undo_of_a_bounce_that_caused_nothing_only_deletes_it(
    client_alice, bounces_on, make_subscriber
):
    sub = make_subscriber("x@example.com", status="blocklisted")
    bounce = record_bounce(NewBounce(type="hard", source="pop", email=sub.email)).bounce

    client_alice.post(f"/bounces/{bounce.pk}/undo")

    assert not Bounce.objects.exists()
    sub.refresh_from_db()
    assert sub.status == "blocklisted"
