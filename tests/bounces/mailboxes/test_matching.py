"""Matching parsed bounces to subscribers (bounces/matching.py), with the real parser."""

from __future__ import annotations

import uuid

from bounces import matching
from bounces.parsing.events import BounceEvent, ParsedMessage
from bounces.parsing.message import parse_message
from tests.bounces.mailboxes.helpers import as_items, match_one
from tests.bounces.mailboxes.messages import dsn


def _events(raw: bytes) -> list:
    parsed = parse_message(raw)
    return as_items([(event, parsed) for event in parsed.events])


def test_it_matches_the_final_recipient_when_the_original_is_no_subscriber(
    make_subscriber,
):
    sub = make_subscriber("new@example.com")
    raw = dsn("old@example.org", final_recipient="new@example.com")
    parsed = parse_message(raw)
    [event] = parsed.events
    assert (event.email, event.final_recipient) == (
        "old@example.org",
        "new@example.com",
    )

    match = match_one(event, parsed)

    assert (match.subscriber_uuid, match.via, match.email) == (
        str(sub.uuid),
        "recipient",
        "new@example.com",
    )


def test_it_prefers_the_original_recipient_over_the_final_one(make_subscriber):
    old = make_subscriber("old@example.org")
    make_subscriber("new@example.com")
    parsed = parse_message(dsn("old@example.org", final_recipient="new@example.com"))
    [event] = parsed.events

    match = match_one(event, parsed)

    assert (match.subscriber_uuid, match.email) == (str(old.uuid), "old@example.org")


def test_it_names_each_recipient_once_when_nobody_matches(db):
    event = BounceEvent(
        email="old@example.org",
        type="hard",
        original_recipient="OLD@example.org",
        final_recipient="new@example.com",
    )

    match = match_one(event, ParsedMessage(kind="dsn", events=[event]))

    assert not match.matched
    assert (match.reason, match.email) == ("not_subscriber", "old@example.org")
    assert match.detail == (
        "old@example.org, new@example.com: no subscriber has this email address"
    )


def test_it_matches_the_header_uuid_first_and_falls_back_to_the_recipient(
    make_subscriber,
):
    by_header = make_subscriber("header@example.com")
    by_email = make_subscriber("Rcpt@Example.com")
    items = _events(dsn("rcpt@example.com", subscriber_uuid=str(by_header.uuid)))
    items += _events(dsn("rcpt@example.com", subscriber_uuid=str(uuid.uuid4())))
    items += _events(dsn("rcpt@example.com", subscriber_uuid="not-a-uuid"))

    first, unknown, invalid = matching.match_events(items)

    assert (first.subscriber_uuid, first.via) == (str(by_header.uuid), "header")
    assert (unknown.subscriber_uuid, unknown.via) == (str(by_email.uuid), "recipient")
    assert (invalid.subscriber_uuid, invalid.via) == (str(by_email.uuid), "recipient")


def test_it_says_when_the_header_names_no_subscriber(db):
    missing = str(uuid.uuid4())
    [item] = _events(dsn("nobody@example.org", subscriber_uuid=missing))

    [match] = matching.match_events([item])

    assert (match.reason, match.detail) == (
        "unknown_subscriber",
        f"subscriber uuid {missing} is not a subscriber",
    )


def test_it_matches_a_whole_batch_with_one_query(
    make_subscriber, django_assert_num_queries
):
    subs = [make_subscriber(f"s{i}@example.com") for i in range(30)]
    items = []
    for i, sub in enumerate(subs):
        header = str(sub.uuid) if i % 2 else None
        items += _events(dsn(sub.email, subscriber_uuid=header, n=i))
    items += _events(dsn("nobody@example.org", n=99))

    # One subscriber query, and one each in deliveries and the outbox for the
    # original Message-IDs (none was sent by us).
    with django_assert_num_queries(3):
        matches = matching.match_events(items)

    assert [m.subscriber_uuid for m in matches] == [str(s.uuid) for s in subs] + [None]


def test_it_matches_the_original_message_id_to_a_message_stmails_sent(
    make_subscriber,
):
    from campaigns.models import Campaign
    from stmails.models import OutgoingMail

    sub = make_subscriber("kept@example.com")
    campaign = Campaign.objects.create(name="November")
    OutgoingMail.objects.create(
        to_email=sub.email,
        from_email="news@example.com",
        subject="Hello",
        text="Hi",
        message_id="<abc.123@example.com>",
        subscriber_id=sub.id,
        campaign_id=campaign.id,
    )
    # The recipient was rewritten on the way (a forward): only the Message-ID links it.
    event = BounceEvent(
        email="forwarded@elsewhere.example",
        type="hard",
        message_id="abc.123@example.com",
    )

    match = match_one(event, ParsedMessage(kind="dsn", events=[event]))

    assert (match.subscriber_uuid, match.campaign_uuid, match.via) == (
        str(sub.uuid),
        str(campaign.uuid),
        "message_id",
    )


def test_it_ignores_a_message_id_stmails_never_sent(make_subscriber):
    make_subscriber("someone@example.com")
    event = BounceEvent(
        email="stranger@example.org", type="hard", message_id="<nope@example.com>"
    )

    match = match_one(event, ParsedMessage(kind="dsn", events=[event]))

    assert not match.matched


def test_it_matches_the_message_id_of_a_campaign_delivery(make_subscriber):
    from campaigns.models import Campaign, Delivery

    sub = make_subscriber("reader@example.com")
    campaign = Campaign.objects.create(name="Weekly")
    Delivery.objects.create(
        campaign=campaign,
        subscriber_id=sub.id,
        email=sub.email,
        status="sent",
        message_id="<weekly.1@news.example.com>",
    )
    event = BounceEvent(
        email="alias@elsewhere.example",
        type="hard",
        message_id="<weekly.1@news.example.com>",
    )

    match = match_one(event, ParsedMessage(kind="dsn", events=[event]))

    assert (match.subscriber_uuid, match.campaign_uuid, match.via) == (
        str(sub.uuid),
        str(campaign.uuid),
        "message_id",
    )
