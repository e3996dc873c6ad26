"""Every message of the corpus parses to its expected outcome (tests/fixtures/bounces)."""

from __future__ import annotations

import json

import pytest

from bounces.parsing.message import parse_message

from .corpus import CORPUS, corpus_files, is_real, key

EXPECTED = json.loads((CORPUS / "expected.json").read_text())


def test_it_has_an_expectation_for_every_corpus_file():
    files = {key(p) for p in corpus_files()}
    assert files == set(EXPECTED)
    assert len(files) >= 260
    assert sum(is_real(name) for name in files) >= 350


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_it_parses_corpus_file_to_expected_events(name):
    parsed = parse_message((CORPUS / name).read_bytes())
    got = sorted(
        (
            {"email": e.email.lower(), "type": e.type, "status": e.status}
            for e in parsed.events
        ),
        key=lambda e: e["email"],
    )
    assert got == sorted(EXPECTED[name], key=lambda e: e["email"])


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("rfc3464_delayed.eml", "delayed"),
        ("postfix_delayed_text.eml", "delayed"),
        ("flufl_dsn_05.eml", "delayed"),
        ("flufl_simple_03.eml", "delayed"),
        ("dsn_relayed_delivered.eml", "not_bounce"),
        ("autoreply_vacation.eml", "autoreply"),
        ("autoreply_exchange_ooo.eml", "autoreply"),
        ("autoreply_out_of_office_subject.eml", "autoreply"),
        ("challenge_response.eml", "autoreply"),
        ("not_a_bounce_plain.eml", "not_bounce"),
        ("arf_not_spam.eml", "arf"),
        ("arf_auth_failure.eml", "arf"),
        ("rfc5965_abuse.eml", "arf"),
        ("rfc3464_multi_recipient.eml", "dsn"),
        ("qmail_no_mailbox.eml", "nonstandard"),
        ("malformed_empty.eml", "unparseable"),
        ("malformed_garbage.eml", "unparseable"),
    ],
)
def test_it_tells_the_kind_of_message(name, kind):
    assert parse_message((CORPUS / name).read_bytes()).kind == kind


def test_it_reports_each_failed_recipient_of_a_multi_recipient_dsn():
    parsed = parse_message((CORPUS / "rfc3464_multi_recipient.eml").read_bytes())
    # The delayed recipient in the same report is not a bounce.
    assert [(e.email, e.type, e.action) for e in parsed.events] == [
        ("arathib@vnet.ibm.com", "soft", "failed"),
        ("wsnell@sdcc13.ucsd.edu", "hard", "failed"),
    ]
    assert parsed.events[1].diagnostic == "550 user unknown"
    assert parsed.events[1].remote_mta == "sdcc13.ucsd.edu"


def test_it_prefers_the_original_recipient_of_a_dsn():
    parsed = parse_message((CORPUS / "flufl_dsn_04.eml").read_bytes())
    [event] = parsed.events
    assert event.email == "userx@example.ch"
    assert event.original_recipient == "userx@example.ch"
    assert event.final_recipient == "HAASM@yogi.urz.example.ch"
    assert event.type == "soft" and event.reason == "mailboxfull"


def test_it_makes_complaints_from_arf_reports():
    parsed = parse_message((CORPUS / "arf_abuse_no_rcpt_to_header.eml").read_bytes())
    # No Original-Rcpt-To: the To of the reported message is the complainer.
    [event] = parsed.events
    assert (event.email, event.type) == ("wendy@example.com", "complaint")
    assert event.subscriber_uuid == "d2b5a6f4-3c1e-4f7a-9b8e-1a2b3c4d5e6f"


def test_it_keeps_bounce_message_headers():
    parsed = parse_message((CORPUS / "dsn_global_utf8.eml").read_bytes())
    assert parsed.subject == "Unzustellbar: Newsletter für März"
    assert parsed.message_id == "<bounce.dsn_global_utf8@mx.example.net>"
    assert parsed.from_address.startswith("MAILER-DAEMON@mx.example.net")
    assert parsed.date == "Fri, 1 Mar 2024 10:00:03 +0000"
