"""Hostile input: every pattern stays linear, and bad bytes in one field cost only that field.

No test here measures time. The big inputs are parsed under a generous CPU
budget so that a regression to quadratic matching fails (OverBudget) instead of
hanging the suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bounces.parsing import addresses, dsn, headers, mime, nonstandard
from bounces.parsing.message import MAX_BOUNDARIES, parse_message, parse_within_budget

from .corpus import corpus_files, key
from .hostile import BUILDERS, EXPECTED, deep_nesting

GENEROUS_BUDGET = 20.0
BIG = 300_000


def _events(raw: bytes) -> list[tuple[str, str, str | None]]:
    parsed = parse_within_budget(raw, seconds=GENEROUS_BUDGET)
    assert parsed.kind != "unparseable", parsed.error
    return sorted((e.email.lower(), e.type, e.status) for e in parsed.events)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_a_big_hostile_message_still_gives_its_real_recipient(name):
    raw = BUILDERS[name](BIG)
    assert len(raw) >= BIG - 100
    assert _events(raw) == [(EXPECTED, "hard", "5.1.1")]


def test_an_address_pattern_does_not_match_inside_a_long_run_without_at():
    run = "a" * 100_000
    assert addresses.ADDR_RE.findall(run) == []
    assert addresses.ADDR_RE.findall(f"{run} x bella@example.com") == [
        "bella@example.com"
    ]
    # A local part longer than RFC 5321's 64 characters is not an address at all,
    # and no suffix of it is taken for one.
    assert addresses.ADDR_RE.findall("b" * 65 + "@example.com") == []
    assert addresses.ADDR_RE.findall("b" * 64 + "@example.com") == [
        "b" * 64 + "@example.com"
    ]


def test_a_dsn_recipient_field_with_a_long_token_is_skipped_not_truncated():
    token_re = addresses.token_address_re(r"\s<>;")
    assert token_re.search("x" * 100_000) is None
    assert token_re.search("x" * 100 + "@example.com") is None
    assert token_re.search("rfc822; <bella@example.com>").group(0) == (
        "bella@example.com"
    )
    statuses = dsn.parse_dsn_text(
        "Final-Recipient: rfc822; " + "q" * 50_000 + "\nAction: failed\n\n"
        "Final-Recipient: rfc822; bella@example.com\nAction: failed\n"
        "Status: 5.1.1\n"
    )
    assert [(s.email, s.action, s.status) for s in statuses] == [
        ("bella@example.com", "failed", "5.1.1")
    ]


def test_a_hugely_folded_field_is_capped_and_the_next_block_still_read():
    text = (
        "Final-Recipient: rfc822; bella@example.com\nAction: failed\n"
        "Diagnostic-Code: smtp; 550 user unknown\n"
        + " more\n" * 100_000
        + "\nFinal-Recipient: rfc822; carl@example.com\nAction: failed\n"
    )
    blocks = mime.parse_blocks(text)
    assert [b["final-recipient"] for b in blocks] == [
        "rfc822; bella@example.com",
        "rfc822; carl@example.com",
    ]
    assert len(blocks[0]["diagnostic-code"]) <= mime.MAX_FIELD + 10
    assert blocks[0]["diagnostic-code"].startswith("smtp; 550 user unknown more")


def test_html_with_runs_of_angle_brackets_and_unclosed_tags_keeps_its_text():
    html = (
        "<p>bella@example.com: user unknown</p>"
        + "<" * 50_000
        + "<br"
        + "<script>var x = 1;</script>after"
        + "<script"
        + "<style>p {}</style>"
    )
    text = mime.html_to_text(html)
    assert "bella@example.com: user unknown" in text
    assert "after" in text
    assert "var x" not in text
    assert "p {}" not in text
    assert mime.html_to_text("a <b>bold</b> <br/>line") == "a  bold  \nline"


def test_the_cut_before_the_returned_message_survives_a_line_of_dashes():
    text = "bella@example.com: user unknown\n" + "-" * 100_000 + "\n"
    assert nonstandard.cut_original(text).startswith("bella@example.com")
    quoted = "x\n> -- == This is a copy of the message\nFrom: a@b.c\n"
    assert nonstandard.cut_original(quoted) == "x\n"
    assert nonstandard.cut_original("x\n  ====   original message follows\ny") == "x\n"


def test_our_headers_are_found_after_a_long_run_of_spaces_or_a_huge_to_line():
    uuid = "0d3c2a8e-9a54-4d8e-b5f4-2f4fbf1f6a11"
    text = (
        "X-Stmails-Subscriber:" + " " * 50_000 + "\n"
        f"X-Stmails-Campaign: {uuid}\n"
        "To: " + "z" * 200_000 + "\n"
        "Message-ID: " + "m" * 100_000 + "\n"
    )
    refs = headers._scan(text)
    assert refs.subscriber_uuid is None
    assert refs.campaign_uuid == uuid
    assert refs.to is None
    assert refs.message_id is None
    refs = headers._scan(f"To: {'w' * 5000} <bella@example.com>\nMessage-ID: <a@b>\n")
    assert refs.to == "bella@example.com"
    assert refs.message_id == "<a@b>"


def test_deep_nesting_is_cut_to_text_past_the_limit():
    raw = deep_nesting(100_000)
    assert raw.count(b"boundary=") > 10 * MAX_BOUNDARIES
    assert _events(raw) == [(EXPECTED, "hard", "5.1.1")]


def test_a_subject_of_many_encoded_words_and_unclosed_words_parses():
    raw = (
        b"From: MAILER-DAEMON@mx.example.net\nSubject: "
        + b"=?utf-8?q?x" * 20_000
        + b"\n\n<bella@example.com>: 550 5.1.1 user unknown\n"
    )
    assert _events(raw) == [(EXPECTED, "hard", "5.1.1")]


# --- one bad field costs that field only ----------------------------------------


def _fixtures() -> list[Path]:
    """The corpus, less the messages that are unparseable on purpose (empty ones)."""
    return [
        p for p in corpus_files() if parse_message(p.read_bytes()).kind != "unparseable"
    ]


def _with_header(raw: bytes, line: bytes) -> bytes:
    return line + b"\r\n" + raw if b"\r\n" in raw[:2000] else line + b"\n" + raw


def _outcome(raw: bytes) -> tuple[str, list]:
    parsed = parse_message(raw)
    return parsed.kind, sorted(
        (e.email.lower(), e.type, e.status, e.subscriber_uuid) for e in parsed.events
    )


@pytest.mark.parametrize("path", _fixtures(), ids=key)
def test_each_fixture_parses_the_same_with_utf8_bytes_in_its_headers(path):
    raw = path.read_bytes()
    before = _outcome(raw)
    if not raw.lstrip().lower().startswith(b"return-path:") and (
        b"\nreturn-path:" not in raw.lower().split(b"\n\n", 1)[0]
    ):
        # The header that broke `.strip()`: a Return-Path carrying UTF-8.
        raw = _with_header(raw, "Return-Path: <bjørn@exämple.net>".encode())
    # And 8-bit bytes in a header every message may have.
    raw = _with_header(raw, "Comments: rückläufer ✉".encode())
    assert _outcome(raw) == before


def test_a_utf8_return_path_reads_as_text():
    import email

    from bounces.parsing.message import TEXT_HEADERS

    msg = email.message_from_bytes(
        "Return-Path: <bjørn@example.net>\nSubject: x\n\nbody\n".encode(),
        policy=TEXT_HEADERS,
    )
    assert msg["Return-Path"].strip() == "<bjørn@example.net>"


def test_an_unknown_charset_in_an_encoded_word_parses():
    raw = (
        b"From: =?x-no-such-charset?q?Mail_Delivery_System?= "
        b"<MAILER-DAEMON@mx.example.net>\n"
        b"Subject: =?x-no-such-charset?q?Undelivered_Mail?= =?utf-8?b?4pyJ?=\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\n\n"
        b"<bella@example.com>: host mx.example.com said: 550 5.1.1 user unknown\n"
    )
    parsed = parse_message(raw)
    assert parsed.subject == "Undelivered Mail\u2709"
    assert parsed.from_address == "Mail Delivery System <MAILER-DAEMON@mx.example.net>"
    assert [(e.email, e.type) for e in parsed.events] == [(EXPECTED, "hard")]


def test_a_broken_encoded_word_keeps_the_rest_of_the_header():
    raw = (
        b"From: MAILER-DAEMON@mx.example.net\n"
        b"Subject: =?utf-8?b?!!!not-base64?= Undelivered Mail\n\n"
        b"<bella@example.com>: 550 5.1.1 user unknown\n"
    )
    parsed = parse_message(raw)
    assert "Undelivered Mail" in (parsed.subject or "")
    assert [e.email for e in parsed.events] == [EXPECTED]


def test_a_run_of_line_ends_inside_a_report_does_not_become_100000_blocks():
    raw = BUILDERS["long recipient without '@'"](2_000)
    raw = raw.replace(b"Reporting-MTA: dns; mx.example.net\n", b"\r" * 100_000, 1)
    assert _events(raw) == [(EXPECTED, "hard", "5.1.1")]


_HEAD = b"From: MAILER-DAEMON@mx.example.net\nSubject: Undelivered Mail\n"
_FAILED = b"<bella@example.com>: host mx said: 550 5.1.1 user unknown\n"
_MANY = {
    # Each listed address was looked for in every line of the text.
    "huge X-Failed-Recipients": _HEAD
    + b"X-Failed-Recipients: bella@example.com, "
    + b"a@b.co, " * 40_000
    + b"\n\n"
    + _FAILED
    + b"line\n" * 5_000,
    # The standard library builds one Message per part, per header, per block.
    "60,000 parts": _HEAD
    + b'Content-Type: multipart/mixed; boundary="B"\n\n--B\n\n'
    + _FAILED
    + b"--B\n\n" * 60_000
    + b"--B--\n",
    "40,000 header lines": _HEAD + b"X-A: b\n" * 40_000 + b"\n" + _FAILED,
    "10,000 report blocks": _HEAD
    + b"Content-Type: multipart/report; report-type=delivery-status; "
    + b'boundary="B"\n\n--B\nContent-Type: message/delivery-status\n\n'
    + b"Final-Recipient: rfc822; bella@example.com\nAction: failed\n"
    + b"Status: 5.1.1\n\n"
    + b"Final-Recipient: rfc822; x\nAction: failed\n\n" * 10_000
    + b"--B--\n",
}


@pytest.mark.parametrize("name", sorted(_MANY))
def test_many_parts_headers_blocks_or_listed_recipients_are_capped(name):
    events = _events(_MANY[name])
    assert (EXPECTED, "hard", "5.1.1") in events
    # The X-Failed-Recipients list names a@b.co 40,000 times: once is enough.
    listed = ["a@b.co"] if name == "huge X-Failed-Recipients" else []
    assert [e[0] for e in events] == [*listed, EXPECTED]


def test_a_charset_name_with_a_nul_in_it_costs_only_that_part():
    raw = (
        b"From: MAILER-DAEMON@mx.example.net\r\nTo: b@example.test\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: text/plain; charset="us\x00ascii"\r\n'
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        b"<ann@example.org>: host mx.example.org said: 550 5.1.1 User unknown\r\n"
        b"caf\xc3\xa9\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.error is None or not parsed.error.startswith("parser error")
    assert [e.email for e in parsed.events] == ["ann@example.org"]
