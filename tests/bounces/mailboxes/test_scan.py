"""Scanning real Dovecot mailboxes over POP3 and IMAP in every TLS mode."""

from __future__ import annotations

import pytest

from bounces import recording
from bounces.mailboxes import batches, scanning
from bounces.mailboxes.client import Pop3Client
from bounces.models import Bounce, MailboxMessage, MailboxScan, UnmatchedBounce
from subscribers.models import Subscriber
from tests.bounces.mailboxes.helpers import configure
from tests.bounces.mailboxes.messages import dsn, garbage, plain

MODES = [
    ("pop", "none"),
    ("pop", "STARTTLS"),
    ("pop", "TLS"),
    ("imap", "none"),
    ("imap", "STARTTLS"),
    ("imap", "TLS"),
]


def _fill(user, subscriber):
    user.deliver(dsn(subscriber.email, n=1))
    user.deliver(dsn("nobody@example.org", n=2))
    user.deliver(plain(3))
    user.deliver(garbage())


@pytest.mark.parametrize(("kind", "tls"), MODES)
def test_it_records_bounces_and_leaves_the_rest(
    bounces_on, mail_user, make_subscriber, kind, tls
):
    sub = make_subscriber("dead@example.com")
    _fill(mail_user, sub)
    [box] = configure(mail_user.box(kind, tls))

    result = scanning.scan_mailbox(box)

    assert result.error == ""
    assert (result.seen, result.skipped) == (4, 0)
    assert result.recorded == {"hard": 1, "soft": 0, "complaint": 0}
    assert (result.unmatched, result.not_bounces, result.unparseable) == (1, 1, 1)
    assert result.deleted == 2
    bounce = Bounce.objects.get()
    assert (bounce.subscriber_id, bounce.type, bounce.source) == (sub.id, "hard", kind)
    assert (bounce.status_code, bounce.reason) == ("5.1.1", "userunknown")
    assert b"Final-Recipient: rfc822; dead@example.com" in bytes(
        bounce.raw_message.data
    )
    sub.refresh_from_db()
    assert sub.status == Subscriber.Status.BLOCKLISTED
    reasons = sorted(UnmatchedBounce.objects.values_list("reason", "email"))
    assert reasons == [("not_subscriber", "nobody@example.org"), ("unparseable", "")]
    # The plain message and the unparseable one stay; the two bounces are gone.
    assert mail_user.count() == 2
    scan = MailboxScan.objects.get()
    assert (scan.status, scan.done, scan.total) == ("finished", 4, 4)
    assert scan.counts["recorded"]["hard"] == 1


def test_it_counts_nothing_twice_on_a_rescan(bounces_on, mail_user, make_subscriber):
    sub = make_subscriber("dead@example.com")
    _fill(mail_user, sub)
    [box] = configure(mail_user.box("pop"))
    scanning.scan_mailbox(box)

    again = scanning.scan_mailbox(box)

    assert (again.seen, again.skipped, again.deleted) == (0, 2, 0)
    assert sum(again.recorded.values()) == again.unparseable == 0
    assert Bounce.objects.count() == 1
    assert UnmatchedBounce.objects.count() == 2


def test_it_moves_bounces_and_non_bounces_aside_on_imap(
    bounces_on, mail_user, make_subscriber
):
    _fill(mail_user, make_subscriber("dead@example.com"))
    [box] = configure(
        mail_user.box(
            "imap",
            "STARTTLS",
            after_bounce="move",
            processed_folder="Processed",
            non_bounce="move",
            non_bounce_folder="Other",
        )
    )

    result = scanning.scan_mailbox(box)

    assert (result.moved, result.deleted) == (4, 0)
    assert mail_user.count() == 0
    assert mail_user.count("Processed") == 2
    assert mail_user.count("Other") == 2


def test_it_flags_bounces_seen_and_skips_them_later(
    bounces_on, mail_user, make_subscriber
):
    _fill(mail_user, make_subscriber("dead@example.com"))
    [box] = configure(mail_user.box("imap", "TLS", after_bounce="flag_seen"))

    first = scanning.scan_mailbox(box)
    second = scanning.scan_mailbox(box)

    assert first.flagged == 2
    assert mail_user.count() == 4
    assert mail_user.seen_count() == 2
    assert (second.seen, second.skipped, second.flagged) == (0, 4, 0)
    assert Bounce.objects.count() == 1


@pytest.mark.parametrize("kind", ["pop", "imap"])
def test_it_loses_nothing_when_a_scan_dies_before_deleting(
    bounces_on, mail_user, make_subscriber, monkeypatch, kind
):
    subs = [make_subscriber(f"s{i}@example.com") for i in range(3)]
    for i, sub in enumerate(subs):
        mail_user.deliver(dsn(sub.email, n=i))
    [box] = configure(mail_user.box(kind))
    client_cls = (
        Pop3Client if kind == "pop" else scanning.open_mailbox.__globals__["ImapClient"]
    )

    def crash(self, keys):
        raise RuntimeError("worker killed")

    with monkeypatch.context() as m:
        m.setattr(client_cls, "delete", crash)
        with pytest.raises(RuntimeError):
            scanning.scan_mailbox(box)
    # Recorded and committed, yet still in the mailbox.
    assert Bounce.objects.count() == 3
    assert mail_user.count() == 3
    assert MailboxScan.objects.get().status == "failed"

    again = scanning.scan_mailbox(box)

    assert (again.seen, again.skipped, again.deleted) == (0, 3, 3)
    assert sum(again.recorded.values()) == 0
    assert Bounce.objects.count() == 3
    assert mail_user.count() == 0
    assert MailboxMessage.objects.filter(disposed=True).count() == 3


def test_it_rolls_back_a_batch_that_dies_midway(
    bounces_on, mail_user, make_subscriber, monkeypatch
):
    subs = [make_subscriber(f"s{i}@example.com") for i in range(5)]
    for i, sub in enumerate(subs):
        mail_user.deliver(dsn(sub.email, n=i))
    [box] = configure(mail_user.box("pop"))
    monkeypatch.setattr(scanning, "BATCH", 2)
    real = batches.parse
    calls = {"n": 0}

    def dies_on_the_fourth(raw):
        calls["n"] += 1
        if calls["n"] == 4:
            raise SystemExit("killed")
        return real(raw)

    with monkeypatch.context() as m:
        m.setattr(batches, "parse", dies_on_the_fourth)
        with pytest.raises(SystemExit):
            scanning.scan_mailbox(box)
    # The first batch was committed; the second one (messages 3-4) rolled back.
    assert Bounce.objects.count() == 2
    assert mail_user.count() == 5  # no QUIT: POP3 deleted nothing
    MailboxScan.objects.update(status="failed")  # SystemExit skipped the bookkeeping

    again = scanning.scan_mailbox(box)

    assert (again.seen, again.skipped) == (3, 2)
    assert again.recorded["hard"] == 3
    assert Bounce.objects.count() == 5
    assert mail_user.count() == 0


def test_it_does_not_scan_when_bounce_processing_is_off(db, mail_user):
    mail_user.deliver(dsn("a@example.com"))
    [box] = configure(mail_user.box("pop"))

    with pytest.raises(scanning.ScanError, match="bounce processing is disabled"):
        scanning.scan_mailbox(box)

    assert mail_user.count() == 1
    assert not MailboxScan.objects.exists()


def test_it_changes_nothing_in_a_dry_run(bounces_on, mail_user, make_subscriber):
    _fill(mail_user, make_subscriber("dead@example.com"))
    [box] = configure(mail_user.box("imap"))

    result = scanning.scan_mailbox(box, dry_run=True)

    assert result.recorded["hard"] == 1
    assert (result.unmatched, result.not_bounces, result.unparseable) == (1, 1, 1)
    assert not Bounce.objects.exists()
    assert not UnmatchedBounce.objects.exists()
    assert not MailboxMessage.objects.exists()
    assert mail_user.count() == 4


def test_it_refuses_a_second_scan_of_one_mailbox(bounces_on, mail_user):
    [box] = configure(mail_user.box("pop"))
    MailboxScan.objects.create(mailbox_uuid=box["uuid"], mailbox_name=box["name"])

    with pytest.raises(scanning.ScanError, match="already being scanned"):
        scanning.scan_mailbox(box)


def test_it_takes_over_from_a_killed_scan(bounces_on, mail_user):
    from datetime import timedelta

    from django.utils import timezone

    [box] = configure(mail_user.box("pop"))
    old = timezone.now() - timedelta(hours=1)
    stale = MailboxScan.objects.create(
        mailbox_uuid=box["uuid"], started_at=old, heartbeat_at=old
    )

    result = scanning.scan_mailbox(box)

    assert result.error == ""
    stale.refresh_from_db()
    assert stale.status == "abandoned"


def test_it_reports_the_servers_login_error(bounces_on, mail_user):
    [box] = configure(mail_user.box("imap", password="wrong"))

    result = scanning.scan_mailbox(box)

    assert result.error == "[AUTHENTICATIONFAILED] Authentication failed."
    scan = MailboxScan.objects.get()
    assert (scan.status, scan.error) == ("failed", result.error)


def test_one_failing_message_leaves_only_itself_behind(
    bounces_on, mail_user, make_subscriber, monkeypatch
):
    for i in range(3):
        mail_user.deliver(dsn(make_subscriber(f"s{i}@example.com").email, n=i))
    [box] = configure(mail_user.box("pop"))
    real = batches.matching.match_events

    def broken_for_s1(items, **kw):
        if any(item.email == "s1@example.com" for item in items):
            raise ValueError("database hiccup")
        return real(items, **kw)

    monkeypatch.setattr(batches.matching, "match_events", broken_for_s1)

    result = scanning.scan_mailbox(box)

    assert (result.errors, result.recorded["hard"], result.deleted) == (1, 2, 2)
    assert sorted(Bounce.objects.values_list("email", flat=True)) == [
        "s0@example.com",
        "s2@example.com",
    ]
    assert mail_user.count() == 1
    monkeypatch.setattr(batches.matching, "match_events", real)
    again = scanning.scan_mailbox(box)
    assert (again.seen, again.recorded["hard"], again.errors) == (1, 1, 0)
    assert mail_user.count() == 0


def test_it_records_a_bounce_for_the_final_recipient(
    bounces_on, mail_user, make_subscriber
):
    sub = make_subscriber("new@example.com")
    mail_user.deliver(dsn("old@example.org", final_recipient="new@example.com"))
    [box] = configure(mail_user.box("pop"))

    result = scanning.scan_mailbox(box)

    assert (result.recorded["hard"], result.unmatched, result.deleted) == (1, 0, 1)
    bounce = Bounce.objects.get()
    assert bounce.subscriber_id == sub.id
    assert bounce.meta["matched_by"] == "recipient"


def test_it_lists_a_bounce_whose_subscriber_vanished_as_unmatched(
    bounces_on, mail_user, make_subscriber
):
    # The matcher reads (and on PostgreSQL locks) the subscribers in the
    # recording transaction: one deleted before is no match, never a stale one.
    gone = make_subscriber("gone@example.com")
    kept = make_subscriber("kept@example.com")
    mail_user.deliver(dsn(gone.email, n=1))
    mail_user.deliver(dsn(kept.email, n=2))
    [box] = configure(mail_user.box("pop"))
    gone.delete()

    result = scanning.scan_mailbox(box)

    assert (result.recorded["hard"], result.unmatched, result.errors) == (1, 1, 0)
    assert list(Bounce.objects.values_list("email", flat=True)) == [kept.email]
    unmatched = UnmatchedBounce.objects.get()
    assert (unmatched.reason, unmatched.email) == ("not_subscriber", gone.email)
    assert (unmatched.source, unmatched.origin) == ("pop", "mailbox")
    assert unmatched.raw_message is not None
    assert mail_user.count() == 0


def test_it_processes_the_same_message_once_within_a_batch(
    bounces_on, mail_user, make_subscriber
):
    sub = make_subscriber("dead@example.com")
    mail_user.deliver(dsn(sub.email, n=1))
    mail_user.deliver(dsn(sub.email, n=1))
    [box] = configure(mail_user.box("pop"))

    result = scanning.scan_mailbox(box)

    assert (result.seen, result.skipped, result.recorded["hard"]) == (1, 1, 1)
    assert (result.duplicates, result.deleted) == (0, 2)
    assert Bounce.objects.count() == 1
    assert MailboxMessage.objects.count() == 2
    assert mail_user.count() == 0


def test_it_counts_a_bounce_another_mailbox_stored_as_a_duplicate(
    bounces_on, dovecot_server, make_subscriber
):
    sub = make_subscriber("dead@example.com")
    one, two = dovecot_server.add_user(), dovecot_server.add_user()
    one.deliver(dsn(sub.email, n=1))
    two.deliver(dsn(sub.email, n=1))
    first, second = configure(one.box("pop", name="one"), two.box("imap", name="two"))

    scanning.scan_mailbox(first)
    again = scanning.scan_mailbox(second)

    assert (again.seen, again.duplicates, again.deleted) == (1, 1, 1)
    assert sum(again.recorded.values()) == 0
    assert Bounce.objects.count() == 1


def test_it_survives_a_bounce_stored_meanwhile_by_another_scan(
    bounces_on, dovecot_server, make_subscriber, monkeypatch
):
    subs = [make_subscriber(f"s{i}@example.com") for i in range(3)]
    one, other = dovecot_server.add_user(), dovecot_server.add_user()
    for i, sub in enumerate(subs):
        one.deliver(dsn(sub.email, n=i))
    other.deliver(dsn(subs[1].email, n=1))
    box, other_box = configure(one.box("pop"), other.box("pop", name="other"))
    scanning.scan_mailbox(other_box)
    real = recording._stored_keys
    calls = {"n": 0}

    def looked_up_before_the_other_scan_committed(keys):
        calls["n"] += 1
        return {} if calls["n"] == 1 else real(keys)

    monkeypatch.setattr(
        recording, "_stored_keys", looked_up_before_the_other_scan_committed
    )

    result = scanning.scan_mailbox(box)

    assert (result.recorded["hard"], result.duplicates, result.errors) == (2, 1, 0)
    assert Bounce.objects.count() == 3
    assert one.count() == 0


@pytest.mark.parametrize("kind", ["pop", "imap"])
def test_what_is_no_bounce_records_nothing_and_stays_in_the_mailbox(
    bounces_on, mail_user, make_subscriber, kind
):
    from pathlib import Path

    corpus = Path(__file__).resolve().parents[2] / "fixtures" / "bounces"
    names = [
        "m_notification_target_mail_address.eml",
        "m_human_reply_quoting_user_unknown.eml",
        "m_autoreply_mailer_daemon_from.eml",
        "m_autoreply_rfc3834_auto_replied.eml",
        "m_exim_delay_warning.eml",
    ]
    # Each names an address that is a subscriber: still nothing to record.
    for email in (
        "yuki@carrier.example.jp",
        "pat@reader.example",
        "late@exim-delay.example",
    ):
        make_subscriber(email)
    for name in names:
        mail_user.deliver((corpus / name).read_bytes())
    [box] = configure(mail_user.box(kind, "none"))

    result = scanning.scan_mailbox(box)

    assert result.error == ""
    assert result.recorded == {"hard": 0, "soft": 0, "complaint": 0}
    assert not Bounce.objects.exists()
    assert result.deleted == 0
    assert mail_user.count() == len(names)
