"""Hostile messages of a given size, shared by the tests and bench/bench_hostile_parse.py.

Each builder returns a message of about `size` bytes whose hostile part grows
with `size`, and which still holds one real failed recipient the parser must
find: `bella@example.com` (hard, user unknown), or for the long recipient a
second, well-formed block.
"""

from __future__ import annotations

EXPECTED = "bella@example.com"

_DSN_HEAD = b"""From: MAILER-DAEMON@mx.example.net
To: bounces@lists.example.org
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host mx.example.net.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; bella@example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown

Final-Recipient: rfc822; """

_TEXT_HEAD = b"""From: MAILER-DAEMON@mx.example.net
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
"""

_TEXT_BODY = b"""This is the mail system at host mx.example.net.

<bella@example.com>: host mx.example.com said: 550 5.1.1 user unknown
"""


def long_recipient(size: int) -> bytes:
    """A DSN whose second Final-Recipient is a long run of letters without '@'."""
    tail = b"\nAction: failed\nStatus: 5.1.1\n\n--B--\n"
    return _DSN_HEAD + b"a" * max(0, size - len(_DSN_HEAD) - len(tail)) + tail


def html_angles(size: int) -> bytes:
    """An HTML-only notification holding a long run of '<' (and unclosed tags)."""
    head = (
        _TEXT_HEAD
        + b'Content-Type: multipart/alternative; boundary="B"\n\n--B\n'
        + b"Content-Type: text/html\n\n<p>&lt;bella@example.com&gt;: 550 5.1.1 "
        + b"user unknown</p><br"
    )
    tail = b"<script\n--B--\n"
    return head + b"<" * max(0, size - len(head) - len(tail)) + tail


def huge_to(size: int) -> bytes:
    """A notification whose To: line is huge (letters, no '@'), folded once."""
    body = b"\n" + _TEXT_BODY
    head = _TEXT_HEAD + b"To: "
    fill = max(0, size - len(head) - len(body) - 40)
    return head + b"x" * (fill // 2) + b"\n " + b"y" * (fill - fill // 2) + body


def deep_nesting(size: int) -> bytes:
    """The report first, then a sibling part nested as deep as the size allows."""
    out = [
        _TEXT_HEAD,
        b'Content-Type: multipart/mixed; boundary="top"\n\n--top\n',
        b"Content-Type: text/plain\n\n" + _TEXT_BODY + b"\n--top\n",
    ]
    level = b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n'
    used, depth = sum(map(len, out)) + 30, 0
    while used < size:
        part = level % (depth, depth)
        out.append(part)
        used += len(part)
        depth += 1
    out.append(b"Content-Type: text/plain\n\nthe bottom\n--top--\n")
    return b"".join(out)


def param_flood(size: int) -> bytes:
    """A DSN whose Content-Type carries a flood of parameters: half a run of ';',
    half "a=1;" on folded lines (the standard library reads them in quadratic time)."""
    dsn = _DSN_HEAD.split(b"\n\n", 1)[1].rsplit(b"Final-Recipient: rfc822; ", 1)[0]
    head = _DSN_HEAD.split(b"\n", 4)
    top = (
        b"\n".join(head[:4])
        + b"\nContent-Type: multipart/report; report-type=delivery-status;"
    )
    tail = b' boundary="B"\n\n' + dsn + b"--B--\n"
    fill = max(0, size - len(top) - len(tail))
    return top + b";" * (fill // 2) + b"\n\ta=1;" * ((fill - fill // 2) // 6) + tail


BUILDERS = {
    "long recipient without '@'": long_recipient,
    "run of '<' in an HTML part": html_angles,
    "huge To: line": huge_to,
    "deep MIME nesting": deep_nesting,
    "flood of Content-Type parameters": param_flood,
}
