"""The sending engine against a real SMTP server on loopback: headers, skip
rules, pause and resume, each subscriber at most once."""

from __future__ import annotations

import email.utils

import pytest

from campaigns.models import Campaign, Delivery
from campaigns.sending import engine, sender
from stmails.config import update_settings
from subscribers.links import read_subscription_token
from tests.campaigns import sending_helpers
from tests.campaigns.sending_helpers import (
    make_campaign,
    recipients,
    start,
    statuses,
    subscribe,
)
from tests.stmails.outbox_helpers import smtp_server, use_servers

sink = sending_helpers.sink  # the fixture

pytestmark = [pytest.mark.smtp, pytest.mark.django_db]


def test_it_sends_every_message_with_the_traceable_headers(
    sink, make_list, make_subscriber, django_capture_on_commit_callbacks
):
    news = make_list("News")
    ann = make_subscriber(email="ann@example.com", name="Ann")
    bob = make_subscriber(email="bob@example.com", name="Bob")
    subscribe(ann, news)
    subscribe(bob, news)
    use_servers(
        smtp_server(
            sink.port, email_headers=[{"Return-Path": "bounces@mail.example.org"}]
        )
    )
    campaign = make_campaign(
        news, headers=[{"X-Mailer-Note": "spring"}, {"Message-ID": "<forged@x>"}]
    )
    start(campaign, django_capture_on_commit_callbacks)

    result = sender.send_campaign(campaign.pk)

    assert (result.outcome, result.sent) == ("done", 2)
    assert recipients(sink) == ["ann@example.com", "bob@example.com"]
    by_to = {email.utils.parseaddr(m["To"])[1]: m for m in sink.messages}
    for sub in (ann, bob):
        msg = by_to[sub.email]
        delivery = Delivery.objects.get(campaign=campaign, subscriber_id=sub.pk)
        assert msg["Message-ID"] == delivery.message_id
        assert msg["Message-ID"].endswith("@mail.example.org>")
        assert msg["X-Stmails-Campaign"] == str(campaign.uuid)
        assert msg["X-Stmails-Subscriber"] == str(sub.uuid)
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = msg["List-Unsubscribe"].strip("<>")
        token = url.rstrip("/").rsplit("/", 1)[1]
        assert read_subscription_token(token) == (sub, [news.pk])
        assert msg["X-Mailer-Note"] == "spring"
        assert msg["Return-Path"] is None  # the envelope carries it
        assert msg["Subject"] == f"Hello {sub.name}"
        assert f"Hi {sub.name}" in msg.get_body(("html",)).get_content()
        assert delivery.status == "sent" and delivery.attempts == 1
    assert {e.mail_from for e in sink.envelopes} == {"bounces@mail.example.org"}
    assert len({m["Message-ID"] for m in sink.messages}) == 2
    campaign.refresh_from_db()
    assert (campaign.status, campaign.to_send, campaign.sent) == ("finished", 2, 2)
    assert campaign.finished_at is not None


def test_it_skips_blocklisted_unsubscribed_and_unconfirmed_double_optin(
    sink, make_list, make_subscriber, django_capture_on_commit_callbacks
):
    single = make_list("Single", optin="single")
    double = make_list("Double", optin="double")
    subscribe(make_subscriber(email="single-unconfirmed@x.org"), single, "unconfirmed")
    subscribe(make_subscriber(email="double-confirmed@x.org"), double, "confirmed")
    subscribe(make_subscriber(email="double-unconfirmed@x.org"), double, "unconfirmed")
    subscribe(make_subscriber(email="unsubscribed@x.org"), single, "unsubscribed")
    blocked = make_subscriber(email="blocked@x.org", status="blocklisted")
    subscribe(blocked, single)
    both = make_subscriber(email="both@x.org")
    subscribe(both, single)
    subscribe(both, double)
    campaign = make_campaign(single, double)
    start(campaign, django_capture_on_commit_callbacks)

    assert sorted(statuses(campaign)) == [
        "both@x.org", "double-confirmed@x.org", "single-unconfirmed@x.org",
    ]  # fmt: skip
    assert campaign.to_send == 3

    sender.send_campaign(campaign.pk)
    assert recipients(sink) == [
        "both@x.org", "double-confirmed@x.org", "single-unconfirmed@x.org",
    ]  # fmt: skip


def test_it_skips_a_subscriber_blocklisted_after_the_start(
    sink, make_list, make_subscriber, django_capture_on_commit_callbacks
):
    news = make_list()
    ann, bob = make_subscriber(email="ann@x.org"), make_subscriber(email="bob@x.org")
    subscribe(ann, news)
    subscribe(bob, news)
    campaign = make_campaign(news)
    start(campaign, django_capture_on_commit_callbacks)
    bob.status = "blocklisted"
    bob.save()

    result = sender.send_campaign(campaign.pk)

    assert (result.sent, result.skipped) == (1, 1)
    assert recipients(sink) == ["ann@x.org"]
    assert statuses(campaign) == {"ann@x.org": "sent", "bob@x.org": "skipped"}
    campaign.refresh_from_db()
    assert campaign.status == "finished"


def _campaign_of(n, make_list, make_subscriber, capture) -> Campaign:
    news = make_list()
    for i in range(n):
        subscribe(make_subscriber(email=f"s{i:02d}@x.org"), news)
    campaign = make_campaign(news)
    start(campaign, capture)
    return campaign


def test_it_stops_between_chunks_when_paused_and_resumes_where_it_stopped(
    sink, make_list, make_subscriber, django_capture_on_commit_callbacks, monkeypatch
):
    campaign = _campaign_of(
        7, make_list, make_subscriber, django_capture_on_commit_callbacks
    )
    monkeypatch.setattr(sender, "CHUNK", 3)
    send_chunk = sender.Run.send_chunk

    def pause_after_one_chunk(run, chunk):
        reached = send_chunk(run, chunk)
        engine.set_status(campaign.pk, Campaign.Status.PAUSED, "admin")
        return reached

    monkeypatch.setattr(sender.Run, "send_chunk", pause_after_one_chunk)
    result = sender.send_campaign(campaign.pk)

    assert (result.outcome, result.sent) == ("campaign paused", 3)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.sent, campaign.paused_reason) == (
        "paused",
        3,
        "admin",
    )
    assert sender.send_campaign(campaign.pk).outcome == "not running"
    assert len(sink.messages) == 3

    monkeypatch.setattr(sender.Run, "send_chunk", send_chunk)
    start(campaign, django_capture_on_commit_callbacks)  # resume
    assert campaign.status == "running" and campaign.to_send == 7
    result = sender.send_campaign(campaign.pk)

    assert result.sent == 4
    assert recipients(sink) == [f"s{i:02d}@x.org" for i in range(7)]
    campaign.refresh_from_db()
    assert (campaign.status, campaign.sent) == ("finished", 7)


def test_it_sends_nothing_for_a_cancelled_campaign(
    sink, make_list, make_subscriber, django_capture_on_commit_callbacks
):
    campaign = _campaign_of(
        2, make_list, make_subscriber, django_capture_on_commit_callbacks
    )
    assert engine.set_status(campaign.pk, Campaign.Status.CANCELLED)

    assert sender.send_campaign(campaign.pk).outcome == "not running"
    assert sink.messages == []
    with pytest.raises(engine.CampaignError):
        engine.start_campaign(campaign.pk)


def test_it_sends_each_subscriber_once_when_started_and_run_twice(
    sink, make_list, make_subscriber, django_capture_on_commit_callbacks
):
    campaign = _campaign_of(
        5, make_list, make_subscriber, django_capture_on_commit_callbacks
    )
    start(campaign, django_capture_on_commit_callbacks)  # a second start adds nothing
    assert Delivery.objects.filter(campaign=campaign).count() == 5

    first = sender.send_campaign(campaign.pk)
    Campaign.objects.filter(pk=campaign.pk).update(status="running")
    second = sender.send_campaign(campaign.pk)

    assert (first.sent, second.sent) == (5, 0)
    assert recipients(sink) == [f"s{i:02d}@x.org" for i in range(5)]


def test_a_slot_that_runs_alone_sends_the_parts_of_slots_that_have_not_run(
    sink, make_list, make_subscriber, django_capture_on_commit_callbacks
):
    """Fewer worker processes than slots: the slot that runs does all the
    work, so no part waits for the broker to hand its slot over."""
    campaign = _campaign_of(
        9, make_list, make_subscriber, django_capture_on_commit_callbacks
    )

    sent = [sender.send_campaign(campaign.pk, slot, 3).sent for slot in (1, 0, 2)]

    assert sent == [9, 0, 0]
    assert sorted(recipients(sink)) == [f"s{i:02d}@x.org" for i in range(9)]


def test_a_slot_leaves_a_part_to_the_slot_working_on_it(
    sink, make_list, make_subscriber, django_capture_on_commit_callbacks, monkeypatch
):
    """A claim lost to another slot moves this one to the next part; the row
    the other slot claimed is never sent by this one, every other row once."""
    campaign = _campaign_of(
        9, make_list, make_subscriber, django_capture_on_commit_callbacks
    )
    compose = sender.Run.compose
    taken = []

    def other_slot_claims_first(run, delivery, sub):
        if not taken:  # the other slot claims this row right now
            taken.append(delivery.email)
            Delivery.objects.filter(pk=delivery.pk).update(status="sending")
        return compose(run, delivery, sub)

    monkeypatch.setattr(sender.Run, "compose", other_slot_claims_first)

    result = sender.send_campaign(campaign.pk, 0, 3)

    everyone = [f"s{i:02d}@x.org" for i in range(9)]
    assert result.sent == 8
    assert sorted(recipients(sink)) == [e for e in everyone if e not in taken]


def test_it_runs_end_to_end_through_the_celery_task(
    sink, make_list, make_subscriber, django_capture_on_commit_callbacks
):
    update_settings({"app.concurrency": 2})
    news = make_list()
    for i in range(4):
        subscribe(make_subscriber(email=f"t{i}@x.org"), news)
    campaign = make_campaign(news)

    with django_capture_on_commit_callbacks(execute=True):
        engine.start_campaign(campaign.pk)

    assert recipients(sink) == [f"t{i}@x.org" for i in range(4)]
    campaign.refresh_from_db()
    assert (campaign.status, campaign.sent) == ("finished", 4)


def test_slots_take_turns_on_the_servers():
    """The first slots carry the mail when fewer processes than slots run:
    they go to different servers, each up to its max_conns."""
    first = smtp_server(2525, uuid="11111111-1111-4111-8111-111111111111", max_conns=3)
    second = smtp_server(2526, max_conns=2)
    use_servers(first, second)

    ports = [sender.server_for_slot(slot)["port"] for slot in range(6)]

    assert ports == [2525, 2526, 2525, 2526, 2525, 2525]


def test_unsubscribe_links_are_those_reverse_makes(db, make_subscriber, make_list):
    """The URL around a token is worked out once (subscribers.links)."""
    from django.urls import resolve, reverse

    from subscribers.links import unsubscribe_url

    ann, news = make_subscriber(email="ann@example.com"), make_list("News")
    root = "https://lists.example.org"
    for _ in range(2):
        url = unsubscribe_url(ann, [news], root=root)
        path = url.removeprefix(root)
        token = resolve(path).kwargs["token"]
        assert path == reverse("subscription:unsubscribe", args=[token])
        assert read_subscription_token(token) == (ann, [news.pk])
