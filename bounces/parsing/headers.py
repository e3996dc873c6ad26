"""What a bounce tells about the message we sent: our headers, its Message-ID, VERP.

Matching prefers these over the failed recipient's address (issue 5, item 4), so
they are looked for everywhere a bounce may carry them:

1. a message/rfc822 part (the whole returned message) or a text/rfc822-headers
   (or message/rfc822-headers) part: parsed as headers;
2. failing that, the raw text after the bounce's own headers, because many MTAs
   paste the original into a text/plain body ("------ This is a copy of the
   message, including all the headers. ------").

X-Listmonk-Subscriber / X-Listmonk-Campaign are accepted too, for installs
migrating from listmonk whose old campaigns still bounce in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

_UUID = (
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)
_SUBSCRIBER_RE = re.compile(
    rf"^[ \t>]*X-(?:Stmails|Listmonk)-Subscriber:[ \t]*(?:\r?\n[ \t]*)?({_UUID})",
    re.I | re.M,
)
_CAMPAIGN_RE = re.compile(
    rf"^[ \t>]*X-(?:Stmails|Listmonk)-Campaign:[ \t]*(?:\r?\n[ \t]*)?({_UUID})",
    re.I | re.M,
)
# Bounded repeats throughout: a Message-ID is at most 998 characters (a line),
# an address 320, a VERP token 200; a To: line is read up to MAX_LINE.
_MESSAGE_ID_RE = re.compile(
    r"^[ \t>]*Message-ID:[ \t]*(?:\r?\n[ \t]*)?(<[^<>\s]{1,998}>|[^<>\s@]{1,998}@[^<>\s]{1,998})",
    re.I | re.M,
)
_TO_RE = re.compile(r"^[ \t>]*To:[ \t]*(.+)$", re.I | re.M)
_ADDR_RE = re.compile(
    r"(?<![\w.+'=/-])[\w.+'=/-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,16}"
)
_VERP_RE = re.compile(r"bounces?\+([A-Za-z0-9._=-]{1,200})@", re.I)
MAX_LINE = 10_000

ORIGINAL_TYPES = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")
VERP_HEADERS = ("To", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To")


@dataclass(frozen=True)
class OriginalRefs:
    """References to the message stmails sent, found inside a bounce."""

    subscriber_uuid: str | None = None
    campaign_uuid: str | None = None
    message_id: str | None = None
    to: str | None = None  # the original's To address (an ARF fallback)


def original_header_text(msg: Message) -> str | None:
    """The header block of the returned original message, as text, if a part holds it."""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype not in ORIGINAL_TYPES:
            continue
        payload = part.get_payload()
        if isinstance(payload, list) and payload:
            inner = payload[0]
            if isinstance(inner, Message):
                return "".join(f"{k}: {v}\n" for k, v in inner.items())
        raw = part.get_payload(decode=True)
        if isinstance(raw, bytes) and raw:
            text = raw.decode("utf-8", "replace")
            # Only the header block: the body of the original is not ours to scan.
            return re.split(r"\r?\n\r?\n", text, maxsplit=1)[0]
        if isinstance(payload, str) and payload:
            return re.split(r"\r?\n\r?\n", payload, maxsplit=1)[0]
    return None


def find_original_refs(msg: Message, body_text: str) -> OriginalRefs:
    """Our headers, Message-ID and To of the original, from a part or the raw text.

    `body_text` is the bounce's text after its own headers (never its own
    headers: their Message-ID is the bounce's, not ours).
    """
    found = original_header_text(msg)
    refs = _scan(found) if found else OriginalRefs()
    if refs.subscriber_uuid and refs.message_id:
        return refs
    fallback = _scan(body_text)
    return OriginalRefs(
        subscriber_uuid=refs.subscriber_uuid or fallback.subscriber_uuid,
        campaign_uuid=refs.campaign_uuid or fallback.campaign_uuid,
        message_id=refs.message_id or fallback.message_id,
        to=refs.to or fallback.to,
    )


def find_verp_token(msg: Message) -> str | None:
    """The <token> of a bounces+<token>@domain return address the bounce was sent to."""
    for name in VERP_HEADERS:
        for value in msg.get_all(name) or []:
            m = _VERP_RE.search(str(value)[:MAX_LINE])
            if m:
                return m.group(1)
    return None


def _scan(text: str) -> OriginalRefs:
    def first(regex: re.Pattern[str]) -> str | None:
        m = regex.search(text)
        return m.group(1) if m else None

    to = None
    m = _TO_RE.search(text)
    if m:
        addr = _ADDR_RE.search(m.group(1)[:MAX_LINE])
        to = addr.group(0) if addr else None
    return OriginalRefs(
        subscriber_uuid=_norm_uuid(first(_SUBSCRIBER_RE)),
        campaign_uuid=_norm_uuid(first(_CAMPAIGN_RE)),
        message_id=first(_MESSAGE_ID_RE),
        to=to,
    )


def _norm_uuid(value: str | None) -> str | None:
    if not value:
        return None
    hexstr = value.replace("-", "").lower()
    return f"{hexstr[:8]}-{hexstr[8:12]}-{hexstr[12:16]}-{hexstr[16:20]}-{hexstr[20:]}"
