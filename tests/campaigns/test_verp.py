"""VERP: campaign messages go out with a signed per-delivery return path, and a
bounce sent to it finds its subscriber and campaign with no other clue."""

from __future__ import annotations

import pytest

from bounces.matching import decode_verp
from bounces.models import UnmatchedBounce
from bounces.parsing.message import parse_message
from campaigns.sending import sender
from stmails.config import SettingsError, update_settings
from tests.bounces.mailboxes.helpers import match_one
from tests.bounces.mailboxes.messages import dsn
from tests.campaigns import sending_helpers
from tests.campaigns.sending_helpers import make_campaign, start, subscribe
from tests.stmails.outbox_helpers import smtp_server, use_servers

sink = sending_helpers.sink  # the fixture

pytestmark = [pytest.mark.smtp, pytest.mark.django_db]


def bounce_to(return_path: str, recipient: str) -> bytes:
    """A DSN delivered to `return_path`, naming a recipient and no X-Stmails header."""
    return dsn(recipient).replace(b"bounces@example.test", return_path.encode())


@pytest.fixture
def sent(sink, make_list, make_subscriber, django_capture_on_commit_callbacks):
    """A campaign sent to Ann and Bob with VERP on: (campaign, {email: subscriber})."""
    update_settings(
        {"campaign.verp_enabled": True, "campaign.verp_domain": "Bounces.Example.org"}
    )
    # VERP wins over the server's Return-Path header.
    use_servers(
        smtp_server(sink.port, email_headers=[{"Return-Path": "rp@mail.example.org"}])
    )
    news = make_list("News")
    subs = {}
    for email in ("ann@example.com", "bob@example.com"):
        subs[email] = make_subscriber(email=email)
        subscribe(subs[email], news)
    campaign = make_campaign(news)
    start(campaign, django_capture_on_commit_callbacks)
    assert sender.send_campaign(campaign.pk).sent == 2
    return campaign, subs


def test_it_sends_each_message_with_its_own_verp_envelope_sender(sink, sent):
    campaign, subs = sent
    by_rcpt = {env.rcpt_tos[0]: env.mail_from for env in sink.envelopes}
    assert len(set(by_rcpt.values())) == 2
    for email, mail_from in by_rcpt.items():
        local, _, domain = mail_from.partition("@")
        assert domain == "bounces.example.org"
        assert local.startswith("bounces+") and len(local) <= 64
        ref = decode_verp(local.removeprefix("bounces+"))
        assert ref is not None
        assert ref.subscriber_uuid == str(subs[email].uuid)
        assert ref.campaign_uuid == str(campaign.uuid)


def test_it_matches_a_bounce_from_a_forwarded_address_by_its_verp_token(sink, sent):
    campaign, subs = sent
    env = next(e for e in sink.envelopes if e.rcpt_tos == ["bob@example.com"])
    # Bob's mail was forwarded: the DSN names an address that is no subscriber.
    parsed = parse_message(bounce_to(env.mail_from, "bob.old@forward.example.net"))
    assert parsed.verp_token and parsed.events

    match = match_one(parsed.events[0], parsed)

    assert (match.subscriber_uuid, match.campaign_uuid, match.via) == (
        str(subs["bob@example.com"].uuid),
        str(campaign.uuid),
        "verp",
    )


def test_it_matches_nobody_with_a_forged_token(sink, sent):
    env = sink.envelopes[0]
    local, _, domain = env.mail_from.partition("@")
    last = "a" if local[-1] != "a" else "b"
    forged = f"{local[:-1]}{last}@{domain}"
    parsed = parse_message(bounce_to(forged, "stranger@forward.example.net"))
    assert parsed.verp_token == forged.partition("+")[2].partition("@")[0]

    match = match_one(parsed.events[0], parsed)

    assert not match.matched
    assert match.reason == UnmatchedBounce.Reason.NOT_SUBSCRIBER


def test_it_sends_with_the_return_path_when_verp_is_off(
    sink, make_list, make_subscriber, django_capture_on_commit_callbacks
):
    use_servers(
        smtp_server(sink.port, email_headers=[{"Return-Path": "rp@mail.example.org"}])
    )
    news = make_list("News")
    subscribe(make_subscriber(email="ann@example.com"), news)
    campaign = make_campaign(news)
    start(campaign, django_capture_on_commit_callbacks)
    assert sender.send_campaign(campaign.pk).sent == 1
    assert [e.mail_from for e in sink.envelopes] == ["rp@mail.example.org"]


@pytest.mark.parametrize("domain", ["not a domain", "bounces@example.org", "x" * 300])
def test_it_refuses_a_bad_verp_domain(domain):
    with pytest.raises(SettingsError) as exc:
        update_settings({"campaign.verp_domain": domain})
    assert exc.value.field == "campaign.verp_domain"


def test_it_uses_the_from_domain_when_verp_has_no_domain(
    sink, make_list, make_subscriber, django_capture_on_commit_callbacks
):
    update_settings({"campaign.verp_enabled": True})
    news = make_list("News")
    subscribe(make_subscriber(email="ann@example.com"), news)
    campaign = make_campaign(news)  # From: news@mail.example.org
    start(campaign, django_capture_on_commit_callbacks)
    assert sender.send_campaign(campaign.pk).sent == 1
    local, _, domain = sink.envelopes[0].mail_from.partition("@")
    assert domain == "mail.example.org"
    assert decode_verp(local.removeprefix("bounces+")) is not None
