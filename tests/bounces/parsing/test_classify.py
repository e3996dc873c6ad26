"""The classification: a Sisimai-style reason, hard only when the address is dead."""

from __future__ import annotations

import pytest

from bounces.parsing.classify import classify, find_reply_code, find_status


@pytest.mark.parametrize(
    ("status", "text", "type_", "reason"),
    [
        ("5.1.1", "550 5.1.1 user unknown", "hard", "userunknown"),
        ("5.1.2", "", "hard", "hostunknown"),
        ("5.1.3", "", "hard", "userunknown"),
        ("5.1.6", "", "hard", "hasmoved"),
        ("5.1.10", "556 5.1.10 null MX", "hard", "notaccept"),
        ("5.1.10", "RESOLVER.ADR.RecipientNotFound", "hard", "userunknown"),
        ("5.0.0", "550 No such user here", "hard", "userunknown"),
        (None, "Host or domain name not found", "hard", "hostunknown"),
        (None, "Sorry, no mailbox here by that name", "hard", "userunknown"),
        (None, "mailbox not found", "hard", "userunknown"),
        # Everything else is soft, even 5xx.
        ("5.2.2", "552 5.2.2 Mailbox full", "soft", "mailboxfull"),
        ("5.2.1", "550 5.2.1 account disabled", "soft", "suspend"),
        ("5.1.1", "550 5.1.1 mailbox is full", "soft", "mailboxfull"),
        ("5.1.1", "550 5.1.1 user over quota", "soft", "mailboxfull"),
        ("5.3.4", "message too big", "soft", "mesgtoobig"),
        ("5.7.1", "550 5.7.1 likely unsolicited mail", "soft", "spamdetected"),
        ("5.7.1", "554 blocked using zen.spamhaus.org", "soft", "blocked"),
        ("5.7.1", "550 5.7.1 Service unavailable", "soft", "securityerror"),
        ("5.7.0", "550 rate limit exceeded", "soft", "ratelimited"),
        ("5.7.1", "550 5.7.1 relaying denied", "soft", "norelaying"),
        ("5.7.26", "550 5.7.26 unauthenticated email, DMARC", "soft", "authfailure"),
        ("5.7.1", "550 5.7.1 no PTR record for your IP", "soft", "requireptr"),
        ("5.7.1", "421 poor reputation of the sending IP", "soft", "badreputation"),
        ("5.7.1", "550 virus detected in attachment", "soft", "virusdetected"),
        ("5.4.7", "delivery time expired", "soft", "expired"),
        ("5.5.3", "too many recipients", "soft", "toomanyconn"),
        ("5.1.7", "550 5.1.7 sender address rejected", "soft", "rejected"),
        ("5.6.0", "", "soft", "contenterror"),
        # A temporary status is never hard, whatever the reason.
        ("4.1.1", "450 4.1.1 user unknown", "soft", "userunknown"),
        ("4.2.2", "452 4.2.2 over quota", "soft", "mailboxfull"),
        ("4.4.7", "", "soft", "expired"),
        (None, "450 try again", "soft", "onhold"),
        (None, "550 Requested action not taken", "soft", "onhold"),
        (None, "", "soft", "undefined"),
        ("2.0.0", "250 ok", "soft", "delivered"),
        (None, "551 User not local; please try <x@y.example>", "hard", "hasmoved"),
        # 5.2.1 without a word of why: the recipient's refusal (as Sisimai reads it).
        ("5.2.1", "550 5.2.1 mailbox unavailable", "soft", "filtered"),
        (
            "5.7.1",
            "554 5.7.1 <a@b.example>: Recipient address rejected: Access denied",
            "hard",
            "userunknown",
        ),
        # Wordings match across line breaks and runs of spaces.
        (
            None,
            "User  not listed in\npublic Name & Address Book",
            "hard",
            "userunknown",
        ),
        # Refused before RCPT TO: about the sending side, never the recipient.
        (
            None,
            "SMTP error from remote mail server after MAIL FROM:<s@x.example>: 553 5.1.0 s@x.example does not exist",
            "soft",
            "rejected",
        ),
        (
            None,
            "SMTP error from remote mail server after MAIL FROM:<s@x.example>: 551 access forbidden by invalid RDNS record",
            "soft",
            "requireptr",
        ),
        (
            None,
            "SMTP error from remote mail server after MAIL FROM:<s@x.example>: 551 access forbidden",
            "soft",
            "blocked",
        ),
        (
            None,
            "SMTP error from remote mail server after initial connection: 554 user unknown",
            "soft",
            "blocked",
        ),
        (
            None,
            "after MAIL FROM: 550 5.7.1 blocked using zen.spamhaus.org",
            "soft",
            "blocked",
        ),
        (
            None,
            "after RCPT TO:<a@b.example>: 550 5.1.1 user unknown",
            "hard",
            "userunknown",
        ),
        # A 4xx until the queue gave up: expired, unless the text names the cause.
        ("4.2.1", "450 4.2.1 Mailbox busy: retry timeout exceeded", "soft", "expired"),
        (
            "4.2.2",
            "450 4.2.2 Mailbox Full. In the queue too long",
            "soft",
            "mailboxfull",
        ),
        # A multi-line reply repeats its code on each line: a wording split
        # over two lines still reads as one.
        (
            "5.0.0",
            "550-Mail refused.\n550-mx.example [192.0.2.1] is not permitted to\n550 relay through this server",
            "soft",
            "norelaying",
        ),
        (
            "5.0.0",
            "550-Please turn on SMTP Authentication in your mail client.",
            "soft",
            "securityerror",
        ),
        # Gmail gave up after days of failed connections.
        (
            None,
            "The recipient server did not accept our requests to connect.",
            "soft",
            "expired",
        ),
        (
            None,
            "550 SC-004 Unfortunately, messages from 192.0.2.22 weren't sent.",
            "soft",
            "blocked",
        ),
        # 5.2.3 is the mailbox's limit, even in "message size" words.
        (
            "5.2.3",
            "552 5.2.3 Message size exceeds fixed maximum",
            "soft",
            "exceedlimit",
        ),
    ],
)
def test_it_classifies_by_the_table(status, text, type_, reason):
    verdict = classify(status, text)
    assert (verdict.type, verdict.reason) == (type_, reason)


def test_it_reads_codes_from_text():
    assert find_status("said: 550-5.1.1 The email account") == "5.1.1"
    assert find_status("no code") is None
    assert find_reply_code("host said: 552 Quota violation") == 552
    assert find_reply_code(None) is None


def test_it_ignores_success_like_numbers_in_free_text():
    # "Mailman 2.0.12" is not a status; the text decides.
    assert (
        classify(None, "RELEASED Mailman 2.0.12; recipient name is not recognized").type
        == "hard"
    )


def test_every_reason_gives_its_type_from_one_function():
    from bounces.parsing.reasons import HARD_REASONS, REASONS, bounce_type

    assert HARD_REASONS == {"userunknown", "hostunknown", "hasmoved", "notaccept"}
    for reason in REASONS:
        expected = (
            "complaint"
            if reason == "feedback"
            else "hard"
            if reason in HARD_REASONS
            else "soft"
        )
        assert bounce_type(reason, "5.0.0") == expected
        assert bounce_type(reason, "4.0.0") in ("soft", "complaint")


def test_every_classified_reason_is_a_known_reason():
    from bounces.parsing.reason_text import REASON_ORDER
    from bounces.parsing.reasons import REASONS

    assert set(REASON_ORDER) <= set(REASONS)
