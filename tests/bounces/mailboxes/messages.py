"""Bounce messages built for the mailbox tests and the scan benchmark."""

from __future__ import annotations

from datetime import UTC, datetime

# The Date header every built DSN carries: scanned bounces are dated by it, so
# a test that looks for them by period must ask for a period around it, never
# "the last 24 hours" (that fails once the calendar passes this day).
DSN_DATE = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def dsn(
    recipient: str,
    *,
    status: str = "5.1.1",
    diagnostic: str = "smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown",
    subscriber_uuid: str | None = None,
    campaign_uuid: str | None = None,
    final_recipient: str | None = None,
    n: int = 0,
) -> bytes:
    """An RFC 3464 delivery status notification as Postfix sends it.

    `recipient` is the Original-Recipient, also the Final-Recipient unless
    `final_recipient` (the address after forwarding) is given.
    """
    action = "delayed" if status.startswith("4") and "delay" in diagnostic else "failed"
    extra = ""
    if subscriber_uuid:
        extra += f"X-Stmails-Subscriber: {subscriber_uuid}\r\n"
    if campaign_uuid:
        extra += f"X-Stmails-Campaign: {campaign_uuid}\r\n"
    text = f"""Return-Path: <>
Delivered-To: bounces@example.test
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: bounces@example.test
Subject: Undelivered Mail Returned to Sender
Date: Mon, 23 Nov 2026 10:00:00 +0000
Message-ID: <bounce-{n}@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY-{n}"

--BOUNDARY-{n}
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{recipient}>: host mx.example.org said: 550 5.1.1 User unknown

--BOUNDARY-{n}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: Mon, 23 Nov 2026 09:59:58 +0000

Final-Recipient: rfc822; {final_recipient or recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.example.org
Diagnostic-Code: {diagnostic.format(rcpt=recipient)}

--BOUNDARY-{n}
Content-Type: text/rfc822-headers

From: News <news@example.com>
To: {recipient}
Subject: Our newsletter
Message-ID: <campaign-{n}@example.com>
{extra}
--BOUNDARY-{n}--
"""
    return text.replace("\n", "\r\n").replace("\r\n\r\n--", "\r\n\r\n--").encode()


def plain(n: int = 0) -> bytes:
    """A message that is not a bounce."""
    return (
        "From: Someone <someone@example.org>\r\nTo: bounces@example.test\r\n"
        f"Subject: Question {n}\r\nMessage-ID: <q{n}@example.org>\r\n"
        "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nHello, a question for you.\r\n"
    ).encode()


def garbage() -> bytes:
    """Not even a message: no headers."""
    return b"\x00\x01\x02 this is not an email at all \xff\xfe\r\n"
