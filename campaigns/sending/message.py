"""Build one campaign message (pure: no ORM, no network).

Every message carries what lets a later bounce find its subscriber and
campaign: a unique Message-ID on the sending domain (stored on the delivery
row), X-Stmails-Campaign and X-Stmails-Subscriber, plus the List-Unsubscribe
pair. Custom headers (the SMTP server's email_headers, then the campaign's)
cannot replace those: a campaign header named Message-ID would break matching.
"""

from __future__ import annotations

import random
import re
import sys
import time
from dataclasses import dataclass, field
from email import contentmanager, headerregistry
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from stmails.lib.signing import make_verp_token
from stmails.outbox import MAIL_POLICY

CAMPAIGN_HEADER = "X-Stmails-Campaign"
SUBSCRIBER_HEADER = "X-Stmails-Subscriber"
# Headers stmails sets itself; custom headers with these names are ignored.
PROTECTED = frozenset(
    name.lower()
    for name in (
        "From", "To", "Subject", "Date", "Message-ID", "MIME-Version",
        "Content-Type", "Content-Transfer-Encoding", CAMPAIGN_HEADER,
        SUBSCRIBER_HEADER, "List-Unsubscribe", "List-Unsubscribe-Post",
    )
)  # fmt: skip


@dataclass(frozen=True)
class Outgoing:
    from_email: str
    to_email: str
    to_name: str
    subject: str
    text: str
    html: str
    message_id: str
    campaign_uuid: str
    subscriber_uuid: str
    unsubscribe_headers: dict[str, str] = field(default_factory=dict)
    # [{"Name": "value"}, ...] as the campaign stores them.
    campaign_headers: list[dict[str, str]] = field(default_factory=list)


# Binds the VERP key (derived from SECRET_KEY) to this one purpose.
VERP_SALT = "stmails.campaigns.verp"


def verp_sender(delivery_id: int, domain: str, key: bytes) -> str:
    """The VERP envelope sender that names one delivery: bounces+<token>@domain."""
    return f"bounces+{make_verp_token(delivery_id, key=key)}@{domain}"


def sending_domain(from_email: str) -> str | None:
    return parseaddr(from_email)[1].rpartition("@")[2] or None


def new_message_id(from_email: str) -> str:
    """A unique Message-ID on the From address's domain ("<...@domain>")."""
    return make_msgid(domain=sending_domain(from_email))


def _custom_headers(
    campaign_headers: list[dict[str, str]], server: dict | None
) -> tuple[dict[str, str], str]:
    """(custom headers to add, Return-Path address or "")."""
    custom: dict[str, str] = {}
    for item in [*((server or {}).get("email_headers") or []), *campaign_headers]:
        for name, value in item.items():
            if (
                name.lower() not in PROTECTED
                and "\n" not in value
                and "\r" not in value
            ):
                custom[name] = value
    return_path = ""
    for name in [n for n in custom if n.lower() == "return-path"]:
        # The receiving server writes Return-Path from the envelope itself.
        return_path = parseaddr(custom.pop(name))[1]
    return custom, return_path


def build_message(
    out: Outgoing, server: dict | None = None
) -> tuple[EmailMessage, str]:
    """The message and its envelope sender (a Return-Path header, listmonk's way
    of setting the bounce address, else the From address)."""
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = out.from_email
    msg["To"] = formataddr((out.to_name, out.to_email)) if out.to_name else out.to_email
    msg["Subject"] = out.subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = out.message_id
    msg[CAMPAIGN_HEADER] = out.campaign_uuid
    msg[SUBSCRIBER_HEADER] = out.subscriber_uuid
    for name, value in out.unsubscribe_headers.items():
        msg[name] = value
    custom, return_path = _custom_headers(out.campaign_headers, server)
    for name, value in custom.items():
        del msg[name]
        msg[name] = value
    msg.set_content(out.text or " ")
    if out.html:
        msg.add_alternative(out.html, subtype="html")
    return msg, return_path or parseaddr(out.from_email)[1]


# --- The same bytes, fast --------------------------------------------------------
# The email package parses every header into an object and folds it again on
# output: ~4 ms of a campaign message's ~9 ms of CPU, which caps the rate a
# 2-core machine can send. Most messages have plain headers (ASCII the package
# writes unchanged): for those, build_bytes writes the bytes
# build_message(...).as_bytes() would, directly, with the package's own body
# encoding (checked byte for byte in tests/campaigns/test_message_bytes.py).
# Other messages go through the email package.

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOMAIN = r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_PLAIN_NAME = re.compile(rf"{_ATEXT}(?: {_ATEXT})*")
_PLAIN_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@{_DOMAIN}")
_PLAIN_MSGID = re.compile(rf"<{_ATEXT}(?:\.{_ATEXT})*@{_DOMAIN}>")
_PLAIN_TEXT = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")
_FIELD_NAME = re.compile(r"[\x21-\x39\x3b-\x7e]+")
_PARSED_NAMES = frozenset(headerregistry.HeaderRegistry().registry) | {"return-path"}
MAX_LINE = MAIL_POLICY.max_line_length


def _plain(value: str) -> bool:
    return bool(_PLAIN_TEXT.fullmatch(value)) and "=?" not in value


def _plain_mailbox(name: str, address: str) -> bool:
    return bool(_PLAIN_ADDRESS.fullmatch(address)) and (
        not name or (bool(_PLAIN_NAME.fullmatch(name)) and "=?" not in name)
    )


def _plain_line(name: str, value: str) -> bool:
    return len(name) + len(value) + 2 <= MAX_LINE and bool(_FIELD_NAME.fullmatch(name))


_date_cache: tuple[int, str] = (0, "")


def _date() -> str:
    """formatdate(localtime=True), worked out once a second."""
    global _date_cache  # noqa: PLW0603 (a per-process cache of one value)
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, localtime=True))
    return _date_cache[1]


def _body(text: str) -> tuple[str, bytes]:
    """(Content-Transfer-Encoding, body) as the email package writes it: its own
    choice of encoding (7bit, 8bit, quoted-printable or base64), CRLF ends."""
    cte, payload = contentmanager._encode_text(text, "utf-8", None, MAIL_POLICY)
    return cte, payload.replace("\n", "\r\n").encode("ascii", "surrogateescape")


def _part(subtype: str, cte: str, body: bytes, mime_version: bool) -> bytes:
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {cte}\r\n"
        + ("MIME-Version: 1.0\r\n" if mime_version else "")
        + "\r\n"
    ).encode() + body


def _boundary(*bodies: bytes) -> str:
    # The email package's boundary; a new one while it occurs in the content.
    width = len(repr(sys.maxsize - 1))
    while True:
        token = random.randrange(sys.maxsize)  # noqa: S311 (not a secret)
        boundary = "=" * 15 + f"%0{width}d" % token + "=="
        if not any(boundary.encode() in body for body in bodies):
            return boundary


class Prepared:
    """A campaign's constant parts (From, custom headers, envelope sender,
    their checks), worked out once; build() fills in one recipient's. The
    same bytes as build_message(...).as_bytes(): messages whose headers are
    not plain go through the email package."""

    def __init__(
        self,
        from_email: str,
        campaign_uuid: str,
        campaign_headers: list[dict[str, str]] | None = None,
        server: dict | None = None,
    ):
        self.from_email, self.campaign_uuid = from_email, campaign_uuid
        self.campaign_headers = list(campaign_headers or [])
        self.server = server
        custom, return_path = _custom_headers(self.campaign_headers, server)
        from_name, from_address = parseaddr(from_email)
        self.sender = return_path or from_address
        self.domain = from_address.rpartition("@")[2] or None
        names = {n.lower() for n in (*_OWN, *_UNSUBSCRIBE)}
        plain = (
            formataddr((from_name, from_address)) == from_email
            and _plain_mailbox(from_name, from_address)
            and _plain_line("From", from_email)
            and _plain_line(CAMPAIGN_HEADER, campaign_uuid)
            and _plain(campaign_uuid)
        )
        for name, value in custom.items():
            lower = name.lower()
            plain = plain and lower not in names and lower not in _PARSED_NAMES
            plain = plain and _plain_line(name, value) and _plain(value)
            names.add(lower)
        # None: every message of this campaign goes through the email package.
        self.custom = (
            "".join(f"{name}: {value}\r\n" for name, value in custom.items())
            if plain
            else None
        )

    def new_message_id(self) -> str:
        return make_msgid(domain=self.domain)

    def outgoing(self, **recipient) -> Outgoing:
        return Outgoing(
            from_email=self.from_email, campaign_uuid=self.campaign_uuid,
            campaign_headers=self.campaign_headers, **recipient,
        )  # fmt: skip

    def build(
        self,
        *,
        to_email: str,
        to_name: str,
        subject: str,
        text: str,
        html: str,
        message_id: str,
        subscriber_uuid: str,
        unsubscribe_headers: dict[str, str],
    ) -> tuple[bytes, str]:
        """(message bytes, envelope sender) for one recipient."""
        head = self._head(
            to_email, to_name, subject, message_id, subscriber_uuid, unsubscribe_headers
        )
        if head is None:
            msg, sender = build_message(
                self.outgoing(
                    to_email=to_email, to_name=to_name, subject=subject, text=text,
                    html=html, message_id=message_id, subscriber_uuid=subscriber_uuid,
                    unsubscribe_headers=unsubscribe_headers,
                ),
                self.server,
            )  # fmt: skip
            return msg.as_bytes(), sender
        return _assemble(head, text, html), self.sender

    def _head(
        self, to_email, to_name, subject, message_id, subscriber_uuid, unsubscribe
    ) -> str | None:
        if self.custom is None:
            return None
        to = formataddr((to_name, to_email)) if to_name else to_email
        if not (
            _plain_mailbox(to_name, to_email)
            and _plain(subject)
            and _PLAIN_MSGID.fullmatch(message_id)
            and _plain_line("To", to)
            and _plain_line("Subject", subject)
            and _plain_line("Message-ID", message_id)
            and _plain_line(SUBSCRIBER_HEADER, subscriber_uuid)
            and _plain(subscriber_uuid)
        ):
            return None
        lines = [
            f"From: {self.from_email}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Date: {_date()}\r\nMessage-ID: {message_id}\r\n"
            f"{CAMPAIGN_HEADER}: {self.campaign_uuid}\r\n"
            f"{SUBSCRIBER_HEADER}: {subscriber_uuid}\r\n"
        ]
        for name, value in unsubscribe.items():
            if name not in _UNSUBSCRIBE or not (
                _plain_line(name, value) and _plain(value)
            ):
                return None
            lines.append(f"{name}: {value}\r\n")
        lines.append(self.custom)
        return "".join(lines)


_OWN = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    CAMPAIGN_HEADER,
    SUBSCRIBER_HEADER,
)
_UNSUBSCRIBE = ("List-Unsubscribe", "List-Unsubscribe-Post")


def _assemble(head: str, text: str, html: str) -> bytes:
    plain = _body(text or " ")
    if not html:
        return head.encode() + _part("plain", *plain, mime_version=True)
    rich = _body(html)
    boundary = _boundary(plain[1], rich[1])
    parts = [_part("plain", *plain, False), _part("html", *rich, True)]
    return (
        (
            f"{head}MIME-Version: 1.0\r\n"
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
        ).encode()
        + b"".join(f"--{boundary}\r\n".encode() + p + b"\r\n" for p in parts)
        + f"--{boundary}--\r\n".encode()
    )


def build_bytes(out: Outgoing, server: dict | None = None) -> tuple[bytes, str]:
    """build_message's message as bytes, and its envelope sender (one message;
    a campaign makes one Prepared and calls its build() per recipient)."""
    return Prepared(
        out.from_email, out.campaign_uuid, out.campaign_headers, server
    ).build(
        to_email=out.to_email, to_name=out.to_name, subject=out.subject,
        text=out.text, html=out.html, message_id=out.message_id,
        subscriber_uuid=out.subscriber_uuid,
        unsubscribe_headers=out.unsubscribe_headers,
    )  # fmt: skip
