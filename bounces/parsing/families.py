"""Layouts of single MTA families and providers that the generic readers miss.

Each reader looks for its family's own markers (sender, subject, headers) and
returns None when the message is not from that family, else the failures it
states ([] for a notice of that family that reports no failure). The facts
come from the families' documented formats, as the bounce analysers record
them (Sisimai's Lhost modules describe each one's markers):

- Amazon SES notifications delivered by mail (an SNS e-mail subscription): the
  body is the SNS JSON envelope, or the SES notification itself.
- Microsoft JMRP complaints (Hotmail, Outlook.com): "complaint about message
  from <IP>", the reported message attached with X-HmXmrOriginalRecipient.
- Apache James: a JavaMail Message-ID or "[BOUNCE]", "Error message:".
- Lotus Notes / Domino: "Undeliverable message", a "Failure Reasons" block.
- BIGLOBE (and the Japanese ISPs on its platform): "Returned mail:", the
  addresses after "had delivery problems", the reason after "Non-delivered
  information". Its "Mail Delivery Failed... User unknown" is its filter.
- fml mailing-list manager: the list refused the post ("not member").
- Google Groups (Workspace groups): the group refused the post ("rejected").
- A notice that merely names an address ("target mail address: x@y", a
  filter-settings change) states no failure: nothing to record.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from email.message import Message

from .addresses import ADDR_RE, normalize_address, plausible
from .classify import classify
from .mime import notification_text
from .reasons import COMPLAINT, bounce_type

JSON_CAP = 1_000_000

# SES (bounceType, bounceSubType) -> reason where SES's code says it; General,
# Undetermined and the suppression subtypes are read from the diagnostic.
SES_SUBTYPE_REASONS = {
    ("Permanent", "NoEmail"): "userunknown",
    ("Transient", "MailboxFull"): "mailboxfull",
    ("Transient", "MessageTooLarge"): "mesgtoobig",
    ("Transient", "ContentRejected"): "contenterror",
    ("Transient", "AttachmentRejected"): "policyviolation",
}


@dataclass
class FamilyFailure:
    email: str
    type: str
    reason: str
    status: str | None = None
    diagnostic: str | None = None


def read(msg: Message, body: str, subject: str) -> list[FamilyFailure] | None:
    """The failures of a message of one of the families, or None."""
    readers = (
        _ses_json,
        _jmrp,
        _james,
        _notes,
        _biglobe,
        _fml,
        _google_group,
        _address_notice,
    )
    for reader in readers:
        found = reader(msg, body, subject)
        if found is not None:
            return [f for f in found if plausible(f.email)]
    return None


def notification_body(msg: Message, body: str) -> str:
    """The readable text of the notice (its text parts), else the raw body."""
    text = notification_text(msg) if msg.is_multipart() else ""
    return text if text.strip() else body


def _header(msg: Message, name: str) -> str:
    return str(msg.get(name) or "")


def _classified(
    email: str, status: str | None, text: str | None, *, strict_unknown: bool = False
) -> FamilyFailure:
    verdict = classify(status, text, strict_unknown=strict_unknown)
    return FamilyFailure(email, verdict.type, verdict.reason, status, text)


# --- Amazon SES by mail ---------------------------------------------------------------


def _ses_json(msg: Message, body: str, subject: str) -> list[FamilyFailure] | None:
    start = body.lstrip()[:1]
    if start != "{":
        return None
    sns = _header(msg, "X-Amz-Sns-Message-Id")
    if not sns and "amazonaws.com" not in _header(msg, "From").lower():
        return None
    notification = _ses_notification(body)
    if notification is None:
        return None
    kind = notification.get("notificationType") or notification.get("eventType")
    if kind == "Complaint":
        detail = notification.get("complaint")
        detail = detail if isinstance(detail, dict) else {}
        if detail.get("complaintFeedbackType") == "not-spam":
            return []
        return [
            FamilyFailure(
                normalize_address(str(r.get("emailAddress"))), COMPLAINT, "feedback"
            )
            for r in detail.get("complainedRecipients") or []
            if isinstance(r, dict) and r.get("emailAddress")
        ]
    if kind != "Bounce":
        return []  # Delivery, DeliveryDelay, Send...: nothing failed
    detail = notification.get("bounce")
    detail = detail if isinstance(detail, dict) else {}
    main, sub = detail.get("bounceType"), detail.get("bounceSubType")
    found = []
    for rcpt in detail.get("bouncedRecipients") or []:
        if not isinstance(rcpt, dict) or not rcpt.get("emailAddress"):
            continue
        status = str(rcpt.get("status") or "") or None
        text = str(rcpt.get("diagnosticCode") or "")[:1000] or None
        failure = _classified(
            normalize_address(str(rcpt["emailAddress"])), status, text
        )
        failure.reason = SES_SUBTYPE_REASONS.get((main, sub), failure.reason)
        failure.type = bounce_type(failure.reason, status)
        if main != "Permanent" and failure.type == "hard":
            failure.type = "soft"  # SES itself calls it temporary
        found.append(failure)
    return found


def _ses_notification(body: str) -> dict | None:
    text = body.lstrip()[:JSON_CAP]
    # The SNS mail ends with an unsubscribe footer after a "--" line.
    end = re.search(r"^--[ \t]*$", text, re.M)
    text = text[: end.start()] if end else text
    data = _json(text)
    if data is None:
        # An MTA on the way folded the one long JSON line at ~990 characters
        # (Sendmail marks its cut with "!"): join the pieces again.
        data = _json(_FOLD_RE.sub("", text))
    if isinstance(data, dict) and isinstance(data.get("Message"), str):
        data = _json(data["Message"][:JSON_CAP])
    return data if isinstance(data, dict) else None


_FOLD_RE = re.compile(r"!?\r?\n[ \t]?")


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


# --- Microsoft JMRP (Hotmail/Outlook.com complaints) -----------------------------------

_JMRP_RCPT = re.compile(r"^X-HmXmrOriginalRecipient:[ \t]*(\S{1,320})", re.I | re.M)


def _jmrp(msg: Message, body: str, subject: str) -> list[FamilyFailure] | None:
    """Microsoft's Junk Mail Reporting Program: no ARF part, the reported message
    attached whole; the complainer is its X-HmXmrOriginalRecipient header."""
    if not subject.lower().lstrip().startswith("complaint about message from"):
        return None
    if "@hotmail.com" not in _header(msg, "From").lower():
        return None
    found = _JMRP_RCPT.search(body[:200_000])
    if not found:
        return []
    return [FamilyFailure(normalize_address(found.group(1)), COMPLAINT, "feedback")]


# --- Apache James ---------------------------------------------------------------------

_JAMES_ERROR = re.compile(r"^error message(?: below)?:[ \t]*$", re.I | re.M)
_JAMES_RCPT = re.compile(
    r"^(?:failed recipient\(s\):|[ \t]*rcpt to:)[ \t]*(\S{0,320})", re.I | re.M
)


def _james(msg: Message, body: str, subject: str) -> list[FamilyFailure] | None:
    """Apache James: "[BOUNCE]" or a reply subject, a JavaMail Message-ID, the
    answer after "Error message:" and the recipient under "Failed recipient(s):"
    or in the "Message details" (RCPT TO:)."""
    java = ".javamail." in _header(msg, "Message-ID").lower()
    # Verizon's SMS gateway (vtext.com) runs James: its notices come from
    # post_master@vtext.com as a reply ("Re:") with any Message-ID.
    verizon = "@vtext.com" in _header(msg, "From").lower()
    if not java and not verizon and not subject.startswith("[BOUNCE]"):
        return None
    text = notification_body(msg, body)[:20_000]
    error = _JAMES_ERROR.search(text)
    if not error:
        return None
    diagnostic = " ".join(
        text[error.end() :].lstrip("\r\n").split("\n\n", 1)[0].split()
    )
    if not subject.startswith("[BOUNCE]") and not re.match(r"[45]\d\d\b", diagnostic):
        return None  # a JavaMail reply that quotes an error is not a bounce
    addrs = []
    for m in _JAMES_RCPT.finditer(text):
        line = m.group(1) or text[m.end() :].lstrip("\r\n").split("\n", 1)[0]
        addrs.extend(normalize_address(a) for a in ADDR_RE.findall(line[:400]))
    # After DATA, James's "no such user" is the remote's filter (as Sisimai reads
    # it); Verizon's gateway says so of a number that does not exist.
    return [
        _classified(a, None, diagnostic[:1000] or None, strict_unknown=not verizon)
        for a in dict.fromkeys(addrs)
    ]


# --- Lotus Notes ----------------------------------------------------------------------

_NOTES_START = re.compile(r"^-+ {0,4}failure reasons {0,4}-+", re.I | re.M)
_NOTES_END = re.compile(r"^-+ {0,4}returned message {0,4}-+", re.I | re.M)


def _notes(msg: Message, body: str, subject: str) -> list[FamilyFailure] | None:
    if not subject.lower().startswith("undeliverable message"):
        return None
    start = _NOTES_START.search(body[:200_000])
    if not start:
        return None
    end = _NOTES_END.search(body, start.end())
    block = body[start.end() : end.start() if end else start.end() + 5000]
    addrs = [normalize_address(a) for a in ADDR_RE.findall(block)]
    reasons = " ".join(
        line.strip() for line in block.splitlines() if line.strip() and "@" not in line
    )
    if not addrs and end:
        to = re.search(r"^To:\s*(.+)$", body[end.end() : end.end() + 5000], re.M)
        addrs = (
            [normalize_address(a) for a in ADDR_RE.findall(to.group(1))] if to else []
        )
    return [_classified(a, None, reasons[:1000] or None) for a in addrs]


# --- BIGLOBE --------------------------------------------------------------------------

_BIGLOBE_FROM = re.compile(r"postmaster@(?:biglobe|inacatv|tmtv|ttv)\.ne\.jp", re.I)
_BIGLOBE_ADDRS = " ----- The following addresses had delivery problems -----"
_BIGLOBE_INFO = " ----- Non-delivered information -----"


def _biglobe(msg: Message, body: str, subject: str) -> list[FamilyFailure] | None:
    if not _BIGLOBE_FROM.search(_header(msg, "From")):
        return None
    if not subject.startswith("Returned mail:") or _BIGLOBE_ADDRS not in body:
        return None
    after = body.split(_BIGLOBE_ADDRS, 1)[1][:20_000]
    listing, _, info = after.partition(_BIGLOBE_INFO)
    addrs = [normalize_address(a) for a in ADDR_RE.findall(listing)]
    text = " ".join(
        line.strip()
        for line in info.split("Content-Type:", 1)[0].splitlines()
        if line.strip() and line.strip()[0].isalnum()
    )[:1000]
    found = [_classified(a, None, text or None) for a in addrs]
    if "mail delivery failed... user unknown" in text.lower():
        for failure in found:  # BIGLOBE's own filter, not a dead mailbox
            failure.type, failure.reason = "soft", "filtered"
    return found


# --- fml ------------------------------------------------------------------------------

_FML_ADDR = re.compile(r"<([^<>\s@]{1,64}@[^<>\s@]{1,255})>\.\s*$", re.M)


def _fml(msg: Message, body: str, subject: str) -> list[FamilyFailure] | None:
    if not msg.get("X-MLServer") or "-admin@" not in _header(msg, "From").lower():
        return None
    if ".fml" not in _header(msg, "Message-ID").lower():
        return None
    notice = body.split("Original mail as follows:", 1)[0][:20_000]
    found = []
    for m in _FML_ADDR.finditer(notice):
        line = notice[notice.rfind("\n", 0, m.start()) + 1 : m.end()].strip()
        low = f"{subject} {line}".lower()
        if "security alert" in low:
            reason = "securityerror"
        elif "not member" in low or "not a member" in low or "reject" in low:
            reason = "rejected"
        else:
            reason = classify(None, line).reason
        found.append(
            FamilyFailure(normalize_address(m.group(1)), "soft", reason, None, line)
        )
    return found


# --- Google Groups ----------------------------------------------------------------------


def _google_group(msg: Message, body: str, subject: str) -> list[FamilyFailure] | None:
    """A Google Group refused the post (no such group, members only...): the
    address is a group, refusing this sender; the recipients are in
    X-Failed-Recipients."""
    if "mailer-daemon@googlemail.com" not in _header(msg, "From").lower():
        return None
    failed = _header(msg, "X-Failed-Recipients")
    if not failed or not msg.get("X-Google-Smtp-Source"):
        return None
    to_group = "@googlegroups.com" in failed.lower()
    if not to_group and "the group you tried to contact" not in body[:20_000].lower():
        return None
    text = " ".join(body[:2000].split())
    return [
        FamilyFailure(normalize_address(a), "soft", "rejected", None, text[:1000])
        for a in ADDR_RE.findall(failed)
    ]


# --- notices naming an address --------------------------------------------------------

_TARGET_RE = re.compile(r"^[ \t]*target (?:mail )?address[ \t]*:", re.I | re.M)
_FAILED_RE = re.compile(
    r"could not be delivered|undeliver|delivery (?:has )?failed|permanent|"
    r"user unknown|does not exist|returned mail|failed recipient",
    re.I,
)


def _address_notice(
    msg: Message, body: str, subject: str
) -> list[FamilyFailure] | None:
    """A system notice whose only address is labelled as its subject ("target
    mail address: x@y"), with no word of a failed delivery: not a bounce."""
    head = body[:20_000]
    if not _TARGET_RE.search(head):
        return None
    if _FAILED_RE.search(head) or _FAILED_RE.search(subject):
        return None
    return []
