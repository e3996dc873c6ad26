"""A campaign sent through a real relay to a real MX comes back as the right bounces.

stmails' sending engine hands a small campaign to the relay (Postfix or Exim);
the recipients' MX (the other one) answers 550/551/552/554 or 450 per
address; the relay writes the DSNs (giving up on the 450 at once) and
delivers them into Dovecot; the real mailbox scan records them. Each address
must end with the right bounce (type, subscriber, campaign) and the right
threshold action.
"""

from __future__ import annotations

import pytest

from bounces.mailboxes import scanning
from bounces.models import Bounce, UnmatchedBounce
from campaigns.sending import sender
from stmails.config import update_settings
from subscribers.models import Subscriber, Subscription
from tests.bounces.mailboxes.helpers import configure
from tests.campaigns.sending_helpers import make_campaign, start, subscribe
from tests.mta.topology import ACCEPTED, BOUNCE_DOMAIN, REPLIES, address
from tests.stmails.outbox_helpers import smtp_server, use_servers

pytestmark = [pytest.mark.mta, pytest.mark.django_db]

EXPECTED_TYPES = {
    "unknown": "hard",  # 550 5.1.1
    "moved": "hard",  # 551 5.1.6
    "full": "soft",  # 552 5.2.2
    "full-again": "soft",  # 552 5.2.2, its second soft bounce
    "policy": "soft",  # 554 5.7.1
    "later": "soft",  # 450 4.2.1, given up by the relay
}
# Where the parser names a reason (Sisimai's words), the clear-cut ones.
EXPECTED_REASONS = {
    "unknown": "userunknown",
    "moved": "hasmoved",
    "full": "mailboxfull",
}


def _has_reason_field() -> bool:
    return any(f.name == "reason" for f in Bounce._meta.get_fields())


def test_every_address_ends_with_its_bounce_and_action(
    mta_setup,
    bounces_on,
    make_list,
    make_subscriber,
    django_capture_on_commit_callbacks,
):
    assert set(EXPECTED_TYPES) == set(REPLIES)
    bounces_on(
        hard={"count": 1, "action": "blocklist"},
        soft={"count": 2, "action": "unsubscribe"},
    )
    update_settings(
        {"campaign.verp_enabled": True, "campaign.verp_domain": BOUNCE_DOMAIN}
    )
    use_servers(smtp_server(mta_setup.relay_port))
    news = make_list("News")
    subs = {}
    for local in [*REPLIES, *ACCEPTED]:
        subs[local] = make_subscriber(email=address(local), name=local)
        subscribe(subs[local], news)
    # An earlier soft bounce: this campaign's makes two, the unsubscribe threshold.
    Bounce.objects.create(
        subscriber=subs["full-again"],
        type="soft",
        source="api",
        email=address("full-again"),
    )
    campaign = make_campaign(news, from_email="News <news@news.test>")
    start(campaign, django_capture_on_commit_callbacks)

    sent = sender.send_campaign(campaign.pk)

    assert (sent.outcome, sent.sent) == ("done", len(REPLIES) + len(ACCEPTED))
    mta_setup.settle(expected=len(REPLIES))
    [box] = configure(mta_setup.mailbox.box("imap"))

    scanned = scanning.scan_mailbox(box)

    assert scanned.error == ""
    assert scanned.recorded == {"hard": 2, "soft": 4, "complaint": 0}
    assert (scanned.unmatched, scanned.not_bounces, scanned.unparseable) == (0, 0, 0)
    assert not UnmatchedBounce.objects.exists()
    found = {
        b.email: b
        for b in Bounce.objects.filter(campaign=campaign).select_related("subscriber")
    }
    assert sorted(found) == sorted(address(local) for local in REPLIES)
    for local, btype in EXPECTED_TYPES.items():
        bounce = found[address(local)]
        assert (local, bounce.type) == (local, btype)
        assert bounce.subscriber_id == subs[local].id
        assert bounce.source == "imap"
        assert bytes(bounce.raw_message.data).startswith(b"Return-")
    if _has_reason_field():
        for local, reason in EXPECTED_REASONS.items():
            assert (local, found[address(local)].reason) == (local, reason)

    def state(local):
        sub = Subscriber.objects.get(pk=subs[local].pk)
        lists = set(
            Subscription.objects.filter(subscriber=sub).values_list("status", flat=True)
        )
        return sub.status, lists

    blocked = (Subscriber.Status.BLOCKLISTED, {"unsubscribed"})
    unsubscribed = (Subscriber.Status.ENABLED, {"unsubscribed"})
    kept = (Subscriber.Status.ENABLED, {"confirmed"})
    assert {local: state(local) for local in subs} == {
        "unknown": blocked,
        "moved": blocked,
        "full": kept,
        "full-again": unsubscribed,
        "policy": kept,
        "later": kept,
        "ann": kept,
        "bob": kept,
    }
