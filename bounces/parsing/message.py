"""The parser's entry point: parse_message(raw bytes) -> ParsedMessage.

Steps:
1. Cap the input at max_bytes (a bounce that returns a 30 MB attachment is
   still read up to the cap; what is cut off is never needed to find the
   recipient) and parse it with the lenient compat32 policy.
2. ARF feedback report -> complaints (arf.py).
3. RFC 3464 DSN -> one event per failed recipient; only delayed -> "delayed".
4. Otherwise, unless it is an auto-reply, the plain-text formats of MTAs that
   send no DSN (nonstandard.py).
5. Every event carries the references to our original message (headers.py).

Bad input never raises: anything unexpected becomes kind "unparseable" with the
error text, so a mailbox scan can count it and leave the message alone.
"""

from __future__ import annotations

import email
import re
from email import policy
from email.message import Message

from . import arf, autoreply, dsn, nonstandard
from .classify import classify
from .events import BounceEvent, ParsedMessage
from .headers import OriginalRefs, find_original_refs, find_verp_token
from .mime import header_text, notification_text

DEFAULT_MAX_BYTES = 2_000_000
_HEADER_LINE_RE = re.compile(rb"^[!-9;-~]+:", re.M)
_DSN_FIELDS_RE = re.compile(r"^Final-Recipient:", re.I | re.M)


def parse_message(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedMessage:
    """Parse one raw message; never raises."""
    try:
        return _parse(raw, max_bytes)
    except Exception as exc:  # noqa: BLE001 - one bad message must never stop a scan
        return ParsedMessage(
            kind="unparseable", error=f"parser error: {type(exc).__name__}: {exc}"
        )


def _parse(raw: bytes, max_bytes: int) -> ParsedMessage:
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    if not raw or not raw.strip():
        return ParsedMessage(kind="unparseable", error="empty message")
    truncated = len(raw) > max_bytes
    data = raw[:max_bytes] if truncated else raw
    if not _HEADER_LINE_RE.match(data.lstrip(b"\r\n")) and not data.startswith(
        b"From "
    ):
        return ParsedMessage(kind="unparseable", error="no message headers found")
    msg = email.message_from_bytes(data, policy=policy.compat32)
    if not msg.keys():
        return ParsedMessage(kind="unparseable", error="no message headers found")

    subject = header_text(msg, "Subject") or ""
    result = ParsedMessage(
        kind="not_bounce",
        message_id=_clean(msg.get("Message-ID")),
        subject=subject or None,
        from_address=header_text(msg, "From"),
        date=_clean(msg.get("Date")),
        verp_token=find_verp_token(msg),
    )
    body = _body_text(data)

    if arf.is_arf(msg):
        return _from_arf(msg, body, result)
    if dsn.status_parts(msg) or (msg.defects and _DSN_FIELDS_RE.search(body)):
        parsed = _from_dsn(msg, body, result)
        if parsed is not None:
            return parsed
    if not autoreply.is_from_mailer(msg) and not nonstandard.bounce_subject(subject):
        if autoreply.is_autoreply(msg, subject):
            result.kind = "autoreply"
            return result
    return _from_text(msg, body, subject, result, truncated)


def _from_arf(msg: Message, body: str, result: ParsedMessage) -> ParsedMessage:
    result.kind = "arf"
    report = arf.parse_arf(msg)
    if report is None or not arf.is_complaint(report):
        return result
    refs = find_original_refs(msg, body)
    emails = report.recipients or ([refs.to] if refs.to else [])
    result.events = [
        _event(
            refs,
            email=addr,
            type="complaint",
            reason=f"feedback report: {report.feedback_type}",
            diagnostic=report.user_agent,
        )
        for addr in emails
    ]
    return result


def _from_dsn(msg: Message, body: str, result: ParsedMessage) -> ParsedMessage | None:
    # A broken boundary leaves the report as text inside one payload: parse that.
    recipients = dsn.parse_dsn(msg) or dsn.parse_dsn_text(body)
    if not recipients:
        return None  # an empty or unreadable report: try the text instead
    refs = find_original_refs(msg, body)
    failed = [r for r in recipients if r.action == "failed"]
    if not failed:
        any_delayed = any(r.action == "delayed" for r in recipients)
        result.kind = "delayed" if any_delayed else "not_bounce"
        return result
    result.kind = "dsn"
    result.arrival_date = dsn.arrival_date(msg)
    for r in failed:
        # "Status: 5.0.0 (recipient reached disk quota)": the comment counts too.
        text = " ".join(t for t in (r.diagnostic, r.raw_status) if t)
        verdict = classify(r.status, text)
        if verdict.reason == "other failure" and len(failed) == 1:
            # The human-readable part often says more than a bare "5.0.0".
            verdict = classify(r.status, f"{text} {_short(notification_text(msg))}")
        result.events.append(
            _event(
                refs,
                email=r.email,
                type=verdict.type,
                status=r.status,
                reason=verdict.reason,
                diagnostic=r.diagnostic,
                remote_mta=r.remote_mta,
                action=r.action,
                original_recipient=r.original_recipient,
                final_recipient=r.final_recipient
                if r.final_recipient and r.final_recipient.lower() != r.email.lower()
                else None,
            )
        )
    return result


def _from_text(
    msg: Message, body: str, subject: str, result: ParsedMessage, truncated: bool
) -> ParsedMessage:
    text = notification_text(msg)
    if not text.strip() and msg.is_multipart():
        text = body  # a broken multipart: its parts never separated, read it whole
    if not nonstandard.looks_like_bounce(msg, subject, text):
        return result
    found = nonstandard.parse_text(msg, text, subject)
    if found.delayed and not found.failures:
        result.kind = "delayed"
        return result
    if not found.failures:
        return result
    refs = find_original_refs(msg, body)
    result.kind = "nonstandard"
    for failure in found.failures:
        verdict = classify(failure.status, failure.diagnostic)
        if verdict.reason == "other failure" and len(found.failures) == 1:
            verdict = classify(failure.status, f"{failure.diagnostic} {_short(text)}")
        result.events.append(
            _event(
                refs,
                email=failure.email,
                type=verdict.type,
                status=failure.status or _status_from(failure.diagnostic),
                reason=verdict.reason,
                diagnostic=failure.diagnostic,
                action="failed",
            )
        )
    return result


def _short(text: str) -> str:
    """The notification text, cut before any returned original, for classification."""
    return nonstandard.cut_original(text)[:1000]


def _event(refs: OriginalRefs, **fields: object) -> BounceEvent:
    return BounceEvent(
        subscriber_uuid=refs.subscriber_uuid,
        campaign_uuid=refs.campaign_uuid,
        message_id=refs.message_id,
        **fields,  # type: ignore[arg-type]
    )


def _status_from(text: str | None) -> str | None:
    from .classify import find_status

    return find_status(text)


def _body_text(data: bytes) -> str:
    """Everything after the bounce's own headers, for the raw-text fallbacks."""
    ends = [i for i in (data.find(b"\n\n"), data.find(b"\r\n\r\n")) if i >= 0]
    if not ends:
        return ""
    return data[min(ends) :].decode("utf-8", "replace").lstrip("\r\n")


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None
