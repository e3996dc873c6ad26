"""Build one campaign message (pure: no ORM, no network).

Every message carries what lets a later bounce find its subscriber and
campaign: a unique Message-ID on the sending domain (stored on the delivery
row), X-Stmails-Campaign and X-Stmails-Subscriber, plus the List-Unsubscribe
pair. Custom headers (the SMTP server's email_headers, then the campaign's)
cannot replace those: a campaign header named Message-ID would break matching.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    for name, value in custom.items():
        if name.lower() == "return-path":
            # The receiving server writes Return-Path from the envelope itself.
            return_path = parseaddr(value)[1]
            continue
        del msg[name]
        msg[name] = value
    msg.set_content(out.text or " ")
    if out.html:
        msg.add_alternative(out.html, subtype="html")
    return msg, return_path or parseaddr(out.from_email)[1]
