"""build_bytes writes, byte for byte, what the email package writes for
build_message's message (boundary and Date aside), directly when the headers
are plain and through the email package for the rest."""

from __future__ import annotations

import re

import pytest

from campaigns.sending import message
from campaigns.sending.message import Outgoing, build_bytes, build_message

UNSUBSCRIBE = {
    "List-Unsubscribe": "<https://lists.example.org/subscription/unsubscribe/eyJzIjo>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


def outgoing(**kw) -> Outgoing:
    fields = {
        "from_email": "News <news@mail.example.org>",
        "to_email": "ann@example.com",
        "to_name": "Ann Lee",
        "subject": "Spring news for Ann",
        "text": "Dear Ann,\n\nspring is here.\n",
        "html": "<p>Dear Ann,</p>\n<p>spring is here.</p>",
        "message_id": "<176.42.99@mail.example.org>",
        "campaign_uuid": "0b7e5a34-8a4a-4c4b-9d1e-6f1f1b0f1a01",
        "subscriber_uuid": "5c1d8e20-4b0e-4a51-8f55-2a9c6b3e7d02",
        "unsubscribe_headers": UNSUBSCRIBE,
    }
    return Outgoing(**(fields | kw))


def normalized(data: bytes) -> bytes:
    boundaries = set(re.findall(rb'boundary="([^"]+)"', data))
    for i, boundary in enumerate(sorted(boundaries)):
        data = data.replace(boundary, b"BOUNDARY%d" % i)
    return re.sub(rb"\r\nDate: [^\r]+\r\n", b"\r\nDate: DATE\r\n", data)


PLAIN = {
    "defaults": {},
    "no name": {"to_name": ""},
    "text only": {"html": ""},
    "empty text": {"text": "", "html": "<p>only html</p>"},
    "8bit body": {"text": "Grüße, Zoë\n", "html": "<p>Grüße</p>"},
    "line endings": {"text": "a\r\nb\rc\n\nd", "html": "x\r\n"},
    "longest line": {"text": "x" * 998},
    "long line: quoted-printable": {"html": "<p>" + "lorem ipsum " * 100 + "</p>"},
    "long line: base64": {"text": "ÿ" * 600},
    "bare address sender": {"from_email": "news@mail.example.org"},
    "custom headers": {"campaign_headers": [{"X-Mailer-Note": "spring 2027"}]},
    "boundary lookalike": {"text": "===============1234567890123456789=="},
    "mailto unsubscribe": {
        "unsubscribe_headers": {
            "List-Unsubscribe": "<https://l.example.org/u/x>, "
            "<mailto:unsub@l.example.org?subject=unsubscribe>"
        }
    },
}
EMAIL_PACKAGE = {
    "non-ASCII subject": {"subject": "Grüße"},
    "non-ASCII name": {"to_name": "Zoë Ünal"},
    "quoted name": {"to_name": "Lee, Ann"},
    "encoded word": {"subject": "=?utf-8?q?hi?="},
    "address header": {"campaign_headers": [{"Reply-To": "Desk <desk@example.org>"}]},
    "double space": {"subject": "Spring  news"},
}


@pytest.mark.parametrize("kw", PLAIN.values(), ids=PLAIN.keys())
def test_it_writes_plain_messages_itself(kw, monkeypatch):
    out = outgoing(**kw)
    expected = normalized(build_message(out)[0].as_bytes())

    def not_called(*args):
        raise AssertionError("took the email package")

    monkeypatch.setattr(message, "build_message", not_called)
    data, sender = build_bytes(out)

    assert normalized(data) == expected
    assert sender == "news@mail.example.org"


@pytest.mark.parametrize("kw", EMAIL_PACKAGE.values(), ids=EMAIL_PACKAGE.keys())
def test_it_leaves_the_rest_to_the_email_package(kw, monkeypatch):
    out = outgoing(**kw)
    expected = normalized(build_message(out)[0].as_bytes())
    calls = []
    monkeypatch.setattr(
        message, "build_message", lambda *a: calls.append(a) or build_message(*a)
    )

    data, _ = build_bytes(out)

    assert calls and normalized(data) == expected


def test_the_return_path_header_is_the_envelope_sender():
    server = {"email_headers": [{"Return-Path": "<bounces@mail.example.org>"}]}
    data, sender = build_bytes(outgoing(), server)

    assert sender == "bounces@mail.example.org"
    assert b"Return-Path" not in data
