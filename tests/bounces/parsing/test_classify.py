"""The classification table: hard only when the address or its domain is dead."""

from __future__ import annotations

import pytest

from bounces.parsing.classify import classify, find_reply_code, find_status


@pytest.mark.parametrize(
    ("status", "text", "type_", "reason"),
    [
        ("5.1.1", "550 5.1.1 user unknown", "hard", "mailbox does not exist"),
        ("5.1.2", "", "hard", "domain does not exist"),
        ("5.1.3", "", "hard", "bad address syntax"),
        ("5.1.6", "", "hard", "mailbox has moved"),
        ("5.1.10", "556 5.1.10 null MX", "hard", "domain accepts no mail"),
        ("5.1.10", "RESOLVER.ADR.RecipientNotFound", "hard", "mailbox does not exist"),
        ("5.0.0", "550 No such user here", "hard", "mailbox does not exist"),
        (None, "Host or domain name not found", "hard", "domain does not exist"),
        (None, "Sorry, no mailbox here by that name", "hard", "mailbox does not exist"),
        (None, "mailbox not found", "hard", "mailbox does not exist"),
        # Everything else is soft, even 5xx.
        ("5.2.2", "552 5.2.2 Mailbox full", "soft", "mailbox full"),
        ("5.2.1", "550 5.2.1 account disabled", "soft", "mailbox disabled"),
        ("5.1.1", "550 5.1.1 mailbox is full", "soft", "mailbox full"),
        ("5.3.4", "message too big", "soft", "message too large"),
        (
            "5.7.1",
            "550 5.7.1 likely unsolicited mail (spam)",
            "soft",
            "spam or content rejection",
        ),
        ("5.7.1", "554 blocked using zen.spamhaus.org", "soft", "blocked sender"),
        ("5.7.0", "550 rate limit exceeded", "soft", "rate limited or temporary"),
        ("5.7.1", "550 5.7.1 relaying denied", "soft", "policy rejection"),
        ("4.1.1", "450 4.1.1 user unknown", "soft", "temporary failure"),
        ("4.2.2", "452 4.2.2 over quota", "soft", "mailbox full"),
        (None, "550 Requested action not taken", "soft", "other failure"),
        (None, "", "soft", "other failure"),
        (
            None,
            "551 User not local; please try <x@y.example>",
            "hard",
            "mailbox has moved",
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
