"""One message over an open SMTP connection: MAIL FROM, RCPT TO, DATA.

Where the server offers PIPELINING (RFC 2920), the three commands go out in
one write and their replies are read together: one round trip instead of
three. `handed` runs after the server accepted the recipient and before the
message goes out (the sender commits the Message-ID there, and when
pipelining the claim with it: campaigns.sending.ledger); when it returns
False the transaction is abandoned. Refusals raise SendFailure (stage "MAIL FROM", "RCPT TO" or
"DATA"); a broken connection raises smtplib.SMTPException or OSError.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable

from stmails.outbox import SendFailure
from stmails.smtp_check import format_reply

_LEADING_DOT = re.compile(rb"(?m)^\.")
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(
    rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
)


class Abandoned(Exception):
    """handed() said no: the caller resets (pipelined: closes) the connection."""


def _quote(address: str) -> str:
    """smtplib.quoteaddr, without parsing the plain addresses nearly all are."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def pipelines(conn: smtplib.SMTP, sender: str, recipient: str) -> bool:
    """Whether send_message pipelines this message: the server offers it (and
    the addresses need no SMTPUTF8, which smtplib's own path handles)."""
    return conn.has_extn("pipelining") and sender.isascii() and recipient.isascii()


def refused(stage: str, code: int, text: bytes | str) -> SendFailure:
    response = format_reply(code, text)
    return SendFailure(f"{stage}: {response}", code, response, stage)


def send_message(
    conn: smtplib.SMTP,
    sender: str,
    recipient: str,
    data: bytes,
    handed: Callable[[], bool],
) -> tuple[int, bytes]:
    """The final reply (250) to a sent message; see the module docstring."""
    if pipelines(conn, sender, recipient):
        return _pipelined(conn, sender, recipient, data, handed)
    code, text = conn.mail(sender)
    if code != 250:
        raise refused("MAIL FROM", code, text)
    code, text = conn.rcpt(recipient)
    if code not in (250, 251):
        raise refused("RCPT TO", code, text)
    if not handed():
        raise Abandoned
    try:
        code, text = conn.data(data)
    except smtplib.SMTPResponseException as e:
        raise refused("DATA", e.smtp_code, e.smtp_error) from None
    if code != 250:
        raise refused("DATA", code, text)
    return code, text


def _pipelined(conn, sender, recipient, data, handed) -> tuple[int, bytes]:
    conn.send(
        f"MAIL FROM:{_quote(sender)}\r\nRCPT TO:{_quote(recipient)}\r\nDATA\r\n".encode(
            "ascii"
        )
    )
    (mail, mail_text), (rcpt, rcpt_text), (go, go_text) = (
        conn.getreply(), conn.getreply(), conn.getreply()
    )  # fmt: skip
    failure = None
    if mail != 250:
        failure = refused("MAIL FROM", mail, mail_text)
    elif rcpt not in (250, 251):
        failure = refused("RCPT TO", rcpt, rcpt_text)
    elif go != 354:
        failure = refused("DATA", go, go_text)
    if failure is not None:
        if go == 354:  # a server that takes data without a recipient: never send it
            conn.close()
        raise failure
    if not handed():
        conn.close()  # in DATA: only closing leaves the message undelivered
        raise Abandoned
    # Most messages have no line starting with "." (the regex costs more than the check).
    body = _LEADING_DOT.sub(b"..", data) if data[:1] == b"." or b"\n." in data else data
    conn.send(body + (b".\r\n" if body.endswith(b"\r\n") else b"\r\n.\r\n"))
    code, text = conn.getreply()
    if code != 250:
        raise refused("DATA", code, text)
    return code, text
