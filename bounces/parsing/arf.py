"""RFC 5965 abuse feedback reports (ARF): spam complaints from mailbox providers.

multipart/report; report-type=feedback-report with a message/feedback-report
part (Feedback-Type, Original-Rcpt-To, ...) and the reported message (or its
headers). Feedback-Type abuse, fraud, virus and other are complaints; not-spam
(the user took it back) and auth-failure (a DMARC/SPF failure report, RFC 6591)
say nothing against the subscriber, so they give no event.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

from .addresses import normalize_address, token_address_re
from .mime import MAX_FIELD, part_text

REPORT_TYPE = "message/feedback-report"
COMPLAINT_TYPES = {"abuse", "fraud", "virus", "other"}
_ADDR_RE = token_address_re(r"\s<>;:\"'(),\[\]")


@dataclass(frozen=True)
class FeedbackReport:
    feedback_type: str
    recipients: list[str]  # Original-Rcpt-To values (may be empty: providers redact)
    user_agent: str | None


def is_arf(msg: Message) -> bool:
    if msg.get_content_type() == "multipart/report":
        if (msg.get_param("report-type") or "").lower() == "feedback-report":
            return True
    return any(p.get_content_type() == REPORT_TYPE for p in msg.walk())


def parse_arf(msg: Message) -> FeedbackReport | None:
    for part in msg.walk():
        if part.get_content_type() != REPORT_TYPE:
            continue
        fields = _fields(part)
        ftype = (fields.get("feedback-type", ["abuse"])[0].split() or ["abuse"])[0]
        rcpts = []
        for value in fields.get("original-rcpt-to", []):
            m = _ADDR_RE.search(value)
            if m and "\ufffd" not in m.group(0):
                rcpts.append(normalize_address(m.group(0)))
        agent = (fields.get("user-agent") or [None])[0]
        return FeedbackReport(ftype.lower(), rcpts, agent)
    return None


def is_complaint(report: FeedbackReport) -> bool:
    return report.feedback_type in COMPLAINT_TYPES


def _fields(part: Message) -> dict[str, list[str]]:
    """All fields of the report, repeated ones kept (Original-Rcpt-To may repeat)."""
    payload = part.get_payload()
    text = ""
    if isinstance(payload, list):
        for block in payload:
            if isinstance(block, Message):
                text += "".join(f"{k}: {v}\n" for k, v in block.items())
                rest = block.get_payload()
                if isinstance(rest, str):
                    text += rest
    else:
        text = part_text(part)
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name and name[0] not in " \t":
            values = fields.setdefault(name.strip().lower()[:100], [])
            if len(values) < 100:  # a report names a few recipients, not thousands
                values.append(value.strip()[:MAX_FIELD])
    return fields
