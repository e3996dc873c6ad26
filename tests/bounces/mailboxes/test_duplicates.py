"""The same bounce twice is one bounce: identified by what it says, not by its bytes.

Real Dovecot mailboxes; with soft count 2 -> unsubscribe, a DSN delivered twice
must not unsubscribe a live subscriber, two different bounces must.
"""

from __future__ import annotations

import shutil

import pytest

from bounces.mailboxes import scanning
from bounces.models import Bounce, BounceAction, MailboxMessage
from subscribers.models import Subscription
from tests.bounces.mailboxes.helpers import configure
from tests.bounces.mailboxes.messages import dsn

FULL = "smtp; 552 5.2.2 <{rcpt}>: Mailbox full"


def soft_dsn(recipient: str, n: int = 0) -> bytes:
    return dsn(recipient, status="4.2.2", diagnostic=FULL, n=n)


def redelivered(raw: bytes, hop: str) -> bytes:
    """The same DSN as a second delivery brings it: its own Received and Delivered-To."""
    body = raw.replace(
        b"Delivered-To: bounces@example.test\r\n",
        f"Delivered-To: {hop}@example.test\r\n".encode(),
    )
    return (
        f"Received: from {hop}.example.net (localhost [127.0.0.1])\r\n"
        f"\tby mx.example.test with ESMTP id {hop.upper()}42; Mon, 23 Nov 2026 10:0{len(hop)}:00 +0000\r\n"
    ).encode() + body


def without_message_id(raw: bytes, arrival: str | None = None) -> bytes:
    """A DSN without its own Message-ID (some MTAs send none), optionally another Arrival-Date."""
    head, _, rest = raw.partition(b"Message-ID: <bounce-")
    rest = rest.partition(b"\r\n")[2]
    out = head + rest
    if arrival:
        out = out.replace(
            b"Arrival-Date: Mon, 23 Nov 2026 09:59:58 +0000",
            f"Arrival-Date: {arrival}".encode(),
        )
    return out


@pytest.fixture
def live(make_subscriber, make_list, bounces_on):
    """A confirmed subscriber; soft bounces: 2 -> unsubscribe."""
    bounces_on(soft={"count": 2, "action": "unsubscribe"})
    subscriber = make_subscriber("live@example.com")
    Subscription.objects.create(
        subscriber=subscriber,
        list=make_list("News"),
        status=Subscription.Status.CONFIRMED,
    )
    return subscriber


def statuses(subscriber) -> set[str]:
    rows = Subscription.objects.filter(subscriber=subscriber)
    return set(rows.values_list("status", flat=True))


@pytest.mark.parametrize("kind", ["pop", "imap"])
def test_a_dsn_delivered_twice_counts_once_and_does_not_act(live, mail_user, kind):
    raw = soft_dsn(live.email, n=1)
    mail_user.deliver(redelivered(raw, "relay-a"))
    mail_user.deliver(redelivered(raw, "relay-bb"))
    [box] = configure(mail_user.box(kind))

    result = scanning.scan_mailbox(box)

    assert result.error == ""
    assert result.recorded == {"hard": 0, "soft": 1, "complaint": 0}
    assert Bounce.objects.filter(subscriber=live).count() == 1
    assert not BounceAction.objects.exists()
    assert statuses(live) == {"confirmed"}
    assert mail_user.count() == 0  # both copies are done with


def test_a_copy_in_a_later_scan_with_other_headers_counts_once(live, mail_user):
    raw = soft_dsn(live.email, n=1)
    mail_user.deliver(redelivered(raw, "relay-a"))
    [box] = configure(mail_user.box("pop"))
    scanning.scan_mailbox(box)
    # The copy also went through a filter that added a header: other bytes,
    # other content hash, the same bounce.
    mail_user.deliver(
        redelivered(raw, "relay-bb").replace(
            b"Subject: Undelivered", b"X-Filtered: yes\r\nSubject: Undelivered"
        )
    )

    again = scanning.scan_mailbox(box)

    assert (again.seen, again.duplicates, sum(again.recorded.values())) == (1, 1, 0)
    assert Bounce.objects.filter(subscriber=live).count() == 1
    assert statuses(live) == {"confirmed"}


def test_a_message_fetched_again_after_a_move_counts_once(live, mail_user):
    mail_user.deliver(soft_dsn(live.email, n=1))
    [box] = configure(
        mail_user.box("imap", after_bounce="move", processed_folder="Processed")
    )
    scanning.scan_mailbox(box)
    assert mail_user.count("Processed") == 1
    # Someone moves it back into the inbox: a new UID for the same message.
    folder = mail_user.maildir / ".Processed"
    for sub in ("cur", "new"):
        for path in (folder / sub).iterdir():
            shutil.move(str(path), str(mail_user.maildir / "new" / path.name))

    again = scanning.scan_mailbox(box)

    assert again.error == ""
    assert (again.seen, sum(again.recorded.values())) == (0, 0)
    assert again.skipped == 1
    assert Bounce.objects.filter(subscriber=live).count() == 1
    assert statuses(live) == {"confirmed"}
    assert MailboxMessage.objects.count() == 2


def test_two_different_bounces_of_one_recipient_count_twice(live, mail_user):
    mail_user.deliver(soft_dsn(live.email, n=1))
    mail_user.deliver(soft_dsn(live.email, n=2))
    [box] = configure(mail_user.box("pop"))

    result = scanning.scan_mailbox(box)

    assert result.recorded["soft"] == 2
    assert Bounce.objects.filter(subscriber=live).count() == 2
    assert BounceAction.objects.get().action == "unsubscribe"
    assert statuses(live) == {"unsubscribed"}


def test_without_its_own_message_id_a_dsn_is_known_by_what_it_reports(live, mail_user):
    raw = without_message_id(soft_dsn(live.email, n=1))
    mail_user.deliver(redelivered(raw, "relay-a"))
    mail_user.deliver(redelivered(raw, "relay-bb"))
    [box] = configure(mail_user.box("pop"))

    first = scanning.scan_mailbox(box)

    assert first.recorded["soft"] == 1
    assert statuses(live) == {"confirmed"}
    # The same original message bounced again later: another Arrival-Date.
    later = without_message_id(
        soft_dsn(live.email, n=1), arrival="Tue, 24 Nov 2026 09:59:58 +0000"
    )
    mail_user.deliver(later)

    second = scanning.scan_mailbox(box)

    assert second.recorded["soft"] == 1
    assert Bounce.objects.filter(subscriber=live).count() == 2
    assert statuses(live) == {"unsubscribed"}
