"""The parser's entry point: parse_message(raw bytes) -> ParsedMessage.

Steps:
1. Cap the input at max_bytes (a bounce that returns a 30 MB attachment is
   still read up to the cap; what is cut off is never needed to find the
   recipient) and parse it with the lenient compat32 policy.
2. ARF feedback report -> complaints (arf.py). A bounce that a person
   forwards ("Fwd:") is not one (nonstandard.forwarded_by_person).
3. RFC 3464 DSN -> one event per failed recipient; only delayed -> "delayed".
4. The layouts of single families (families.py: Amazon SES JSON by mail,
   Lotus Notes, BIGLOBE, fml, notices that merely name an address).
5. Otherwise, unless it is an auto-reply, the plain-text formats of MTAs that
   send no DSN (nonstandard.py).
6. Every event carries the references to our original message (headers.py).

Bad input never raises: anything unexpected becomes kind "unparseable" with the
error text, so a mailbox scan can count it and leave the message alone.
`parse_within_budget` adds a CPU time budget (budget.py): over it, the message is
"unparseable" with that reason.

Every step is linear in the input: patterns are bounded (see addresses.py),
header and field values are cut before matching, and what the standard
library's MIME parser gets is capped first (_bounded): header lines, part
delimiters, blank-line blocks, and MAX_BOUNDARIES multipart or message/rfc822
declarations (it checks every line against every open boundary, so nesting
depth times length would be its cost).
"""

from __future__ import annotations

import email
import re
from email.message import Message
from email.policy import Compat32

from . import arf, autoreply, dsn, families, nonstandard
from .addresses import ADDR_RE, normalize_address
from .budget import OverBudget, check_budget, cpu_budget
from .classify import VAGUE, classify
from .events import BounceEvent, ParsedMessage
from .headers import OriginalRefs, find_original_refs, find_verp_token
from .mime import MAX_HEADER, bounded_params, header_text, notification_text

DEFAULT_MAX_BYTES = 2_000_000
DEFAULT_BUDGET_SECONDS = 2.0
MAX_BOUNDARIES = 12
_HEADER_LINE_RE = re.compile(rb"^[!-9;-~]{1,200}:")
_DSN_FIELDS_RE = re.compile(r"^Final-Recipient:", re.I | re.M)
_PARA_RE = re.compile(r"\n[ \t]*\r?\n")
_RCPT_RE = re.compile(r"rcpt to|rcpt command")
_NESTING_RE = re.compile(rb"boundary[ \t]*=|message/rfc822", re.I)
MAX_HEADER_LINES = 1_000
MAX_PART_LINES = 500  # lines starting with "--": boundary delimiters, at most
MAX_BLOCKS = 5_000  # blank lines: header/body separators and report blocks
_PART_LINE_RE = re.compile(rb"\n--")
_BLANK_LINE_RE = re.compile(rb"\n\r?\n")
_LINE_END_RE = re.compile(rb"\n")
# More than this many line ends in a row are squeezed: to the standard library
# each blank line of a delivery-status part starts a new block (a Message), so
# a run of 100,000 "\r" would cost 100,000 objects and every walk over them.
MAX_BLANK_LINES = 8
_BLANK_RUN_RE = re.compile(rb"(\r\n|\r|\n)(?:\r\n|\r|\n){%d,}" % MAX_BLANK_LINES)


class _TextHeaders(Compat32):
    """compat32, except that a header with 8-bit bytes reads as text (UTF-8 with
    replacement), not as an email.header.Header object: every caller can use
    str methods on any header (a UTF-8 Return-Path no longer breaks `.strip()`)."""

    def _sanitize_header(self, name: str, value: object) -> object:
        if not isinstance(value, str):
            return value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # 8-bit bytes, kept as surrogates by the parser
            raw = value.encode("utf-8", "surrogateescape")
            return raw.decode("utf-8", "replace")
        return value


TEXT_HEADERS = _TextHeaders()


def parse_within_budget(
    raw: bytes,
    *,
    seconds: float = DEFAULT_BUDGET_SECONDS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ParsedMessage:
    """parse_message with a CPU time budget; over it, kind "unparseable" says so."""
    try:
        with cpu_budget(seconds):
            return parse_message(raw, max_bytes=max_bytes)
    except OverBudget as over:
        return ParsedMessage(kind="unparseable", error=str(over))


def parse_message(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedMessage:
    """Parse one raw message; never raises."""
    try:
        return _parse(raw, max_bytes)
    except RecursionError:
        return ParsedMessage(kind="unparseable", error="parser error: nested too deep")
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
    msg = email.message_from_bytes(_bounded(data), policy=TEXT_HEADERS)
    if not msg.keys():
        return ParsedMessage(kind="unparseable", error="no message headers found")
    check_budget()

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
    check_budget()

    readable: str | None = None
    if arf.is_arf(msg):
        return _from_arf(msg, body, result)
    if nonstandard.forwarded_by_person(msg, subject):
        return result  # what it quotes is someone else's bounce
    if dsn.status_parts(msg) or (msg.defects and _DSN_FIELDS_RE.search(body)):
        parsed = _from_dsn(msg, body, result)
        if parsed is not None:
            return parsed
    elif msg.is_multipart():
        readable = notification_text(msg)  # read once, for _from_text too
        if _DSN_FIELDS_RE.search(readable) and nonstandard.looks_like_bounce(
            msg, subject, readable
        ):
            # The report's fields written into a text part (Amazon WorkMail's
            # "Technical report:"), encoded with it: read them from the decoded text.
            parsed = _from_dsn(msg, readable, result)
            if parsed is not None:
                return parsed
    family = families.read(msg, body, subject)
    if family is not None:
        return _from_family(msg, body, family, result)
    if not autoreply.is_from_mailer(msg) and not nonstandard.bounce_subject(subject):
        if autoreply.is_autoreply(msg, subject):
            result.kind = "autoreply"
            return result
    parsed = _from_text(msg, body, subject, result, truncated, readable)
    if parsed.kind == "not_bounce" and autoreply.is_autoreply(msg, subject):
        # An auto-reply sent from a daemon address (RFC 3834): the same verdict
        # as from a person, once no failure was found in it.
        parsed.kind = "autoreply"
    return parsed


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
            reason="feedback",
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
    # The prose is read only when a verdict needs it (most DSNs say enough).
    notice = _Notice(msg)
    for r in failed:
        # "Status: 5.0.0 (recipient reached disk quota)": the comment counts too.
        text = " ".join(t for t in (r.diagnostic, r.raw_status) if t)
        verdict = classify(r.status, text, strict_unknown=True)
        if verdict.reason in VAGUE and len(failed) == 1:
            # The human-readable part often says more than a bare "5.0.0".
            text = f"{text} {notice.prose[:1000]}"
            verdict = classify(r.status, text, strict_unknown=True)
        if verdict.reason == "filtered" and notice.refused_at_rcpt(r.email):
            # An unknown-user answer is the address's own fault at RCPT TO only.
            verdict = classify(r.status, text, strict_unknown=True, at_rcpt=True)
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


def _from_family(
    msg: Message, body: str, found: list[families.FamilyFailure], result: ParsedMessage
) -> ParsedMessage:
    """A family's own layout (families.py): its failures, or nothing to record."""
    if not found:
        return result
    refs = find_original_refs(msg, body)
    result.kind = "nonstandard"
    result.events = [
        _event(
            refs,
            email=f.email,
            type=f.type,
            status=f.status,
            reason=f.reason,
            diagnostic=f.diagnostic,
            action=None if f.type == "complaint" else "failed",
        )
        for f in found
    ]
    return result


def _from_text(
    msg: Message,
    body: str,
    subject: str,
    result: ParsedMessage,
    truncated: bool,
    readable: str | None = None,
) -> ParsedMessage:
    text = notification_text(msg) if readable is None else readable
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
        if verdict.reason in VAGUE and len(found.failures) == 1:
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


class _Notice:
    """A DSN's human-readable part, read on first use."""

    def __init__(self, msg: Message) -> None:
        self.msg = msg
        self._prose: str | None = None
        self._at_rcpt: set[str] | None = None

    @property
    def prose(self) -> str:
        if self._prose is None:
            self._prose = nonstandard.cut_original(notification_text(self.msg))
        return self._prose

    def refused_at_rcpt(self, email: str) -> bool:
        """Whether the notice shows this address refused at RCPT TO."""
        if self._at_rcpt is None:
            self._at_rcpt = _refused_at_rcpt(self.prose)
        return "*" in self._at_rcpt or email.lower() in self._at_rcpt


def _refused_at_rcpt(prose: str) -> set[str]:
    """The addresses that the notification shows refused at RCPT TO, from the
    paragraphs that say so (Sendmail's ">>> RCPT TO:<a@b>" transcript, Postfix's
    "said: 550 ... (in reply to RCPT TO command)", wrapped over lines); {"*"}
    when Gmail's "** Address not found **" heading says it of every recipient.
    Gathered once per notice: a DSN may list many recipients."""
    if "** address not found **" in prose[:2000].lower():
        return {"*"}
    found: set[str] = set()
    for para in _PARA_RE.split(prose):
        low = " ".join(para.lower().split())
        if _RCPT_RE.search(low):
            found.update(normalize_address(a).lower() for a in ADDR_RE.findall(low))
    return found


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


def _bounded(data: bytes) -> bytes:
    """The bytes the standard library's MIME parser gets: its cost grows with the
    number of header lines, parts, blocks and nesting levels, so each is capped
    (a real bounce stays far below every cap; what is cut off is the tail of a
    returned original)."""
    data = _BLANK_RUN_RE.sub(lambda m: m.group(1) * MAX_BLANK_LINES, data)
    data = bounded_params(data)
    data = _limit_header_lines(data)
    if data.count(b"\n--") > MAX_PART_LINES:
        data = _cut_at(data, _PART_LINE_RE, MAX_PART_LINES)
    if data.count(b"\n\n") + data.count(b"\n\r\n") > MAX_BLOCKS:
        data = _cut_at(data, _BLANK_LINE_RE, MAX_BLOCKS)
    return _limit_nesting(data)


def _cut_at(data: bytes, pattern: re.Pattern[bytes], n: int) -> bytes:
    """The data before the n-th match of `pattern` (all of it with fewer)."""
    for i, m in enumerate(pattern.finditer(data)):
        if i == n:
            return data[: m.start() + 1]
    return data


def _limit_header_lines(data: bytes) -> bytes:
    """At most MAX_HEADER_LINES lines of the message's own header block (every
    header lookup reads all of them)."""
    end = min(
        (i for i in (data.find(b"\n\n"), data.find(b"\n\r\n")) if i >= 0), default=-1
    )
    head = data if end < 0 else data[:end]
    if head.count(b"\n") <= MAX_HEADER_LINES:
        return data
    cut = _cut_at(head, _LINE_END_RE, MAX_HEADER_LINES)
    return cut + (data[end:] if end >= 0 else b"\n")


def _limit_nesting(data: bytes) -> bytes:
    """The message with multipart and message/rfc822 levels past MAX_BOUNDARIES
    turned into plain text parts (their content stays readable as text)."""
    low = data.lower()
    if low.count(b"boundary") + low.count(b"message/rfc822") <= MAX_BOUNDARIES:
        return data  # the common case, without a regex pass
    marks = _NESTING_RE.finditer(data)
    cut = next((m for i, m in enumerate(marks) if i >= MAX_BOUNDARIES), None)
    if cut is None:
        return data
    tail = _NESTING_RE.sub(
        lambda m: b"x-nested=" if m.group(0)[:1] in b"bB" else b"text/plain",
        data[cut.start() :],
    )
    return data[: cut.start()] + tail


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value)[:MAX_HEADER].split())
    return text or None
