"""Our headers, the original Message-ID and the VERP token, wherever a bounce keeps them."""

from __future__ import annotations

from bounces.parsing.message import parse_message

SUB = "d2b5a6f4-3c1e-4f7a-9b8e-1a2b3c4d5e6f"
CAMP = "7f3e2d1c-0b9a-4876-a5b4-c3d2e1f0a9b8"


def _dsn(original_part: str, *, to: str = "bounces@lists.example.org") -> bytes:
    return f"""From: MAILER-DAEMON@mx.example.net
To: {to}
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-1@mx.example.net>
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

failed

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; ann@example.com
Action: failed
Status: 5.1.1

{original_part}
--B--
""".encode()


def test_it_finds_our_headers_in_a_returned_message():
    raw = _dsn(
        f"""--B
Content-Type: message/rfc822

From: news@lists.example.org
To: ann@example.com
Message-ID: <orig-1@lists.example.org>
X-Stmails-Subscriber: {SUB}
X-Stmails-Campaign: {CAMP}

Hello
"""
    )
    [event] = parse_message(raw).events
    assert (event.subscriber_uuid, event.campaign_uuid) == (SUB, CAMP)
    assert event.message_id == "<orig-1@lists.example.org>"


def test_it_finds_listmonk_headers_in_text_rfc822_headers():
    raw = _dsn(
        f"""--B
Content-Type: text/rfc822-headers

Message-ID: <orig-2@lists.example.org>
X-Listmonk-Subscriber: {SUB.upper()}
X-Listmonk-Campaign:
 {CAMP}
"""
    )
    [event] = parse_message(raw).events
    assert (event.subscriber_uuid, event.campaign_uuid) == (SUB, CAMP)
    assert event.message_id == "<orig-2@lists.example.org>"


def test_it_finds_headers_pasted_into_the_text():
    raw = f"""From: MAILER-DAEMON@mx.example.net
To: bounces@lists.example.org
Subject: failure notice
Message-ID: <bounce-2@mx.example.net>

Hi. This is the qmail-send program at mx.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<ann@example.com>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Message-ID: <orig-3@lists.example.org>
X-Stmails-Subscriber: {SUB}
""".encode()
    parsed = parse_message(raw)
    [event] = parsed.events
    assert event.subscriber_uuid == SUB and event.campaign_uuid is None
    # Never the bounce's own Message-ID.
    assert event.message_id == "<orig-3@lists.example.org>"
    assert parsed.message_id == "<bounce-2@mx.example.net>"


def test_it_leaves_references_empty_when_the_original_is_missing():
    [event] = parse_message(_dsn("")).events
    assert (event.subscriber_uuid, event.campaign_uuid, event.message_id) == (
        None,
        None,
        None,
    )


def test_it_finds_the_verp_token_in_to_or_delivered_to():
    assert (
        parse_message(_dsn("", to="bounces+abc.123@lists.example.org")).verp_token
        == "abc.123"
    )
    raw = b"Delivered-To: bounces+tok-9@lists.example.org\n" + _dsn("")
    assert parse_message(raw).verp_token == "tok-9"
    assert parse_message(_dsn("")).verp_token is None
