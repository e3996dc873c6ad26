"""Bad input never raises out of parse_message."""

from __future__ import annotations

import pytest

from bounces.parsing.message import parse_message

DSN_HEAD = b"""From: MAILER-DAEMON@mx.example.net
To: bounces@lists.example.org
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; bella@example.com
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full

--B
Content-Type: message/rfc822

From: news@lists.example.org
To: bella@example.com
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

"""


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"", "empty message"),
        (b"\r\n \r\n", "empty message"),
        (bytes(range(256)) * 8, "no message headers found"),
        (b"\x00\x01\x02 no headers here", "no message headers found"),
    ],
)
def test_it_reports_empty_or_headerless_input_as_unparseable(raw, error):
    parsed = parse_message(raw)
    assert (parsed.kind, parsed.error, parsed.events) == ("unparseable", error, [])


def test_it_reads_a_huge_message_only_up_to_the_cap():
    raw = DSN_HEAD + (b"A" * 76 + b"\n") * 200_000 + b"\n--B--\n"
    assert len(raw) > 15_000_000
    parsed = parse_message(raw, max_bytes=1_000_000)
    [event] = parsed.events
    assert (event.email, event.type, event.status) == (
        "bella@example.com",
        "soft",
        "5.2.2",
    )


def test_it_parses_what_it_can_of_a_truncated_message():
    raw = DSN_HEAD + b"QUJD\n" * 10
    cut = raw[: raw.index(b"Status: 5.2.2") + len(b"Status: 5.2.2")]
    [event] = parse_message(cut).events
    assert event.email == "bella@example.com"


@pytest.mark.parametrize(
    "raw",
    [
        b"Subject: \xff\xfe\x00 bad\nFrom: \xe9t\xe9@x\nContent-Type: text/plain; charset=bogus-8\n\n\xff\xfe",
        b"Content-Type: multipart/mixed; boundary=\n\n--\n--\n",
        b"Content-Type: multipart/report; report-type=delivery-status\n\nno boundary at all",
        b"Content-Type: multipart/report; boundary=X\n\n--X\nContent-Type: message/delivery-status\n"
        b"Content-Transfer-Encoding: base64\n\n!!!not base64!!!\n--X--\n",
        b"Content-Type: message/rfc822\n\n",
        b'Content-Type: text/plain; charset="utf-7"\nContent-Transfer-Encoding: quoted-printable\n\n=ZZ=\n',
        b"From: a@b.example\nSubject: =?x-unknown?q?abc?= =?utf-8?b?!!!?=\n\nbody",
        b"From MAILER-DAEMON Fri Mar  1 10:00:00 2024\nSubject: x\n\n",
        ("Subject: é\n\n" + "<a@b.example>: user unknown\n" * 5000).encode("latin-1"),
    ],
)
def test_it_never_raises_on_broken_mime(raw):
    parsed = parse_message(raw)
    assert parsed.kind in {
        "dsn",
        "arf",
        "nonstandard",
        "autoreply",
        "delayed",
        "not_bounce",
        "unparseable",
    }


def test_it_reads_a_report_whose_boundary_never_occurs():
    raw = b"""From: MAILER-DAEMON@mx.example.net
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="NOPE"

--WRONG
Content-Type: message/delivery-status

Final-Recipient: rfc822; zack@example.com
Action: failed
Status: 5.1.1
"""
    [event] = parse_message(raw).events
    assert (event.email, event.type) == ("zack@example.com", "hard")


def test_it_turns_an_internal_error_into_unparseable(monkeypatch):
    from bounces.parsing import message

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(message, "find_verp_token", boom)
    parsed = parse_message(b"From: a@b.example\nSubject: x\n\nbody\n")
    assert parsed.kind == "unparseable"
    assert parsed.error == "parser error: RuntimeError: boom"
