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


def _custom_headers(out: Outgoing, server: dict | None) -> tuple[dict[str, str], str]:
    """(custom headers to add, Return-Path address or "")."""
    custom: dict[str, str] = {}
    for item in [*((server or {}).get("email_headers") or []), *out.campaign_headers]:
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
    custom, return_path = _custom_headers(out, server)
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


def _plain_headers(
    out: Outgoing, custom: dict[str, str]
) -> list[tuple[str, str]] | None:
    from_name, from_address = parseaddr(out.from_email)
    if formataddr((from_name, from_address)) != out.from_email:
        return None
    if not (
        _plain_mailbox(from_name, from_address)
        and _plain_mailbox(out.to_name, out.to_email)
        and _plain(out.subject)
        and _PLAIN_MSGID.fullmatch(out.message_id)
    ):
        return None
    to = formataddr((out.to_name, out.to_email)) if out.to_name else out.to_email
    headers = [
        ("From", out.from_email),
        ("To", to),
        ("Subject", out.subject),
        ("Date", formatdate(localtime=True)),
        ("Message-ID", out.message_id),
        (CAMPAIGN_HEADER, out.campaign_uuid),
        (SUBSCRIBER_HEADER, out.subscriber_uuid),
        *out.unsubscribe_headers.items(),
    ]
    names = {name.lower() for name, _ in headers}
    for name, value in custom.items():
        if name.lower() in names or name.lower() in _PARSED_NAMES:
            return None
        names.add(name.lower())
        headers.append((name, value))
    for i, (name, value) in enumerate(headers):
        if len(name) + len(value) + 2 > MAX_LINE or not _FIELD_NAME.fullmatch(name):
            return None
        if i >= 5 and not _plain(value):  # the first five are checked above
            return None
    return headers


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


def build_bytes(out: Outgoing, server: dict | None = None) -> tuple[bytes, str]:
    """build_message's message as bytes, and its envelope sender."""
    custom, return_path = _custom_headers(out, server)
    sender = return_path or parseaddr(out.from_email)[1]
    headers = _plain_headers(out, custom)
    if headers is None:
        msg, sender = build_message(out, server)
        return msg.as_bytes(), sender
    text = _body(out.text or " ")
    html = _body(out.html) if out.html else None
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    if html is None:
        return (head.encode() + _part("plain", *text, mime_version=True)), sender
    boundary = _boundary(text[1], html[1])
    parts = [_part("plain", *text, False), _part("html", *html, True)]
    return (
        (
            f"{head}MIME-Version: 1.0\r\n"
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
        ).encode()
        + b"".join(f"--{boundary}\r\n".encode() + p + b"\r\n" for p in parts)
        + f"--{boundary}--\r\n".encode()
    ), sender
