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
    conn.send(_envelope(sender, recipient))
    failure, go = _envelope_replies(conn)
    if failure is not None:
        if go == 354:  # a server that takes data without a recipient: never send it
            conn.close()
        raise failure
    if not handed():
        conn.close()  # in DATA: only closing leaves the message undelivered
        raise Abandoned
    conn.send(_content(data))
    code, text = conn.getreply()
    if code != 250:
        raise refused("DATA", code, text)
    return code, text


class Broken(Exception):
    """The connection broke (or had to be closed) in send_pipelined: `done`
    holds the outcomes of the messages before; `in_flight` the index of a
    message whose data went out without an answer (None: none did)."""

    def __init__(self, error: Exception | None, done: list, in_flight: int | None):
        super().__init__(str(error))
        self.error, self.done, self.in_flight = error, done, in_flight


def can_pipeline(conn: smtplib.SMTP, envelopes: list[tuple[str, str]]) -> bool:
    return all(pipelines(conn, sender, recipient) for sender, recipient in envelopes)


def _envelope(sender: str, recipient: str) -> bytes:
    return (
        f"MAIL FROM:{_quote(sender)}\r\nRCPT TO:{_quote(recipient)}\r\nDATA\r\n".encode(
            "ascii"
        )
    )


def _envelope_replies(conn: smtplib.SMTP) -> tuple[SendFailure | None, int]:
    (mail, mail_text), (rcpt, rcpt_text), (go, go_text) = (
        conn.getreply(), conn.getreply(), conn.getreply()
    )  # fmt: skip
    if mail != 250:
        return refused("MAIL FROM", mail, mail_text), go
    if rcpt not in (250, 251):
        return refused("RCPT TO", rcpt, rcpt_text), go
    if go != 354:
        return refused("DATA", go, go_text), go
    return None, go


def _content(data: bytes) -> bytes:
    # Most messages have no line starting with "." (the regex costs more than the check).
    body = _LEADING_DOT.sub(b"..", data) if data[:1] == b"." or b"\n." in data else data
    return body + (b".\r\n" if body.endswith(b"\r\n") else b"\r\n.\r\n")


def send_pipelined(
    conn: smtplib.SMTP,
    messages: list[tuple[str, str, bytes]],
    before_data: Callable[[int], None],
    answered: Callable[[int], None],
) -> list[tuple[int, bytes] | SendFailure]:
    """Messages (sender, recipient, data) over one connection, each message's
    content and the next one's envelope in one write (RFC 2920 3.1: content
    may open a group): one round trip a message instead of two. Their rows
    are claimed with their Message-IDs already (a group, ledger.claim_group).
    Returns each message's outcome: (250, text) or SendFailure; raises Broken."""
    done: list[tuple[int, bytes] | SendFailure] = []
    in_flight = None
    try:
        conn.send(_envelope(*messages[0][:2]))
        failure, go = _envelope_replies(conn)
        for k, (_sender, _recipient, data) in enumerate(messages):
            last = k + 1 == len(messages)
            following = b"" if last else _envelope(*messages[k + 1][:2])
            if failure is None:
                before_data(k)
                in_flight = k
                conn.send(_content(data) + following)
                code, text = conn.getreply()
                in_flight = None
                answered(k)
                done.append(
                    (code, text) if code == 250 else refused("DATA", code, text)
                )
            elif (
                go == 354
            ):  # a server that takes data without a recipient: never send it
                done.append(failure)
                conn.close()
                raise Broken(None, done, None)
            else:  # the transaction may still be open (a refused RCPT): reset it
                conn.send(b"RSET\r\n" + following)
                conn.getreply()
                done.append(failure)
            if not last:
                failure, go = _envelope_replies(conn)
    except (smtplib.SMTPException, OSError) as e:
        raise Broken(e, done, in_flight) from None
    return done
