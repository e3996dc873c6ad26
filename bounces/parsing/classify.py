"""The reason of a failure, and from it hard or soft: one classifier for every source.

Policy (that of the careful bounce analysers, Sisimai's): a bounce is **hard**
only when it says the address is dead: the mailbox does not exist
(userunknown), its domain does not exist (hostunknown), it has moved
(hasmoved), or the domain takes no mail (notaccept). Everything else is
**soft**, even with a 5xx code: a full or disabled mailbox, a message too
large, spam or content rejection, policy, a blocked sending IP, rate limits,
network trouble. Those say something about the message or about us, nothing
about the address, and suppressing a live subscriber for them loses a reader.
The reasons are listed in reasons.py; `reasons.bounce_type` turns one into a
type.

How the reason is found, from the RFC 3463 status code and the diagnostic text
(the order the reference analysers use):

1. The first reason of FIRST_ORDER that the status code states or the text
   names. In a DSN (strict_unknown), an unknown-user wording counts as
   userunknown only when the status says so (5.1.1) or the refusal came at
   RCPT TO; after DATA it is the recipient's filter ("filtered"), as Sisimai
   reads it; the same wherever the status itself says "filtered" (5.2.x). The plain-text layouts of known MTAs name the user plainly. A 5.1.1 whose text
   names a block, relaying, a full mailbox... is that cause instead. Full mailboxes and big messages come first because servers send
   "5.1.1 mailbox full"; unknown users before the blocked-sender wordings
   because "user unknown" texts mention blocklists in their footers.
2. Else the status code's reason, unless it is a vague one (RETRY: a generic
   5.7.1 "securityerror" or 5.0.0).
3. Else the first reason of SECOND_ORDER the text names.
4. Else the vague status reason; with no status, a bare 551 reply says
   "hasmoved"; any other text is "onhold"; nothing at all is "undefined".

A refusal before RCPT TO (at connection, HELO or MAIL FROM, as Exim and
Sendmail say) is never about the recipient: its reason is the wording's
sender-side one (blocked, rate limit, PTR...), else "rejected" at MAIL FROM
when it says the sender is unknown or refused, else "blocked". A false hard
bounce there would unsubscribe a live reader for our own server's fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .provider_codes import provider_reason
from .reason_text import (
    STATUS_REASONS,
    TEMPORARY_STATUS_REASONS,
    reasons_in,
)
from .reasons import HARD, SOFT, bounce_type

__all__ = ["HARD", "SOFT", "VAGUE", "Classification", "classify", "reason_for"]

FIRST_ORDER = (
    "mailboxfull",
    "mesgtoobig",
    "exceedlimit",
    "suspend",
    "hasmoved",
    "norelaying",
    "userunknown",
    "filtered",
    "rejected",
    "hostunknown",
    "notaccept",
    "spamdetected",
    "virusdetected",
    "ratelimited",
    "toomanyconn",
    "requireptr",
    "authfailure",
    "badreputation",
    "blocked",
)
SECOND_ORDER = (
    "policyviolation",
    "securityerror",
    "syntaxerror",
    "systemerror",
    "networkerror",
    "expired",
    "contenterror",
    "notcompliantrfc",
    "systemfull",
    "mailererror",
)
RETRY = frozenset(
    {"undefined", "onhold", "systemerror", "securityerror", "networkerror", "expired"}
)

# Reasons that say little: the parser tries the notification's prose for better.
VAGUE = frozenset({"onhold", "undefined", "systemerror", "securityerror"})

# Wordings that outweigh a 5.1.1 status (Sisimai's "prematches").
_NOT_UNKNOWN = frozenset(
    {
        "norelaying",
        "blocked",
        "mailboxfull",
        "hasmoved",
        "rejected",
        "notaccept",
        "filtered",  # "5.1.1 ... refused due to recipient preferences" (Facebook)
        # "5.1.1 ... has sent to too many recipients this hour" (GoDaddy).
        "toomanyconn",
        "ratelimited",
    }
)
# The text says the refusal came at RCPT TO, where "unknown user" is the address.
_RCPT_RE = re.compile(
    r"rcpt to|\brcpt\b|recipient address rejected|does not like recipient|"
    # A directory lookup (Lotus Notes/Domino) is the address check itself, never
    # a filter's answer to the content.
    r"not listed in .{0,30}directory|ディレクトリ ?(?:には見つかりません|のリストにありません)"
)
_STATUS_RE = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_GENERIC_STATUS = re.compile(r"[245]\.0\.0")
_REPLY_RE = re.compile(r"(?<![\d.])([245]\d\d)(?:[\s-]|$)")
TEXT_CAP = 3000
# A multi-line SMTP reply repeats its code on every line ("550-Please turn on
# SMTP Authentication ... 550-... is not permitted to 550 relay through..."):
# the first line's code, then a hyphen (RFC 5321 4.2.1).
_MULTILINE_RE = re.compile(r"(?:[a-z-]+; ?)?([245]\d\d)-")
# "SMTP error from remote mail server after MAIL FROM:" (Exim), "in reply to
# MAIL FROM command", "after initial connection": refused before RCPT TO.
_SENDER_STAGE_RE = re.compile(
    r"(?:after|in reply to(?: the)?) (mail from|initial connection|connect|helo|ehlo)\b"
)
# Reasons that only a recipient's mailbox or domain can have.
_RECIPIENT_REASONS = frozenset(
    {
        "userunknown",
        "hostunknown",
        "hasmoved",
        "notaccept",
        "mailboxfull",
        "exceedlimit",
        "suspend",
        "filtered",
    }
)


@dataclass(frozen=True)
class Classification:
    type: str  # "hard" | "soft"
    reason: str  # one of reasons.REASONS


def find_status(text: str | None) -> str | None:
    """The first RFC 3463 code (e.g. "5.1.1") written in a diagnostic text."""
    if not text:
        return None
    m = _STATUS_RE.search(text[:TEXT_CAP])
    return f"{m.group(1)}.{int(m.group(2))}.{int(m.group(3))}" if m else None


def find_reply_code(text: str | None) -> int | None:
    """The first SMTP reply code (e.g. 550) written in a diagnostic text."""
    if not text:
        return None
    m = _REPLY_RE.search(text[:TEXT_CAP])
    return int(m.group(1)) if m else None


def classify(
    status: str | None,
    diagnostic: str | None = None,
    reply_code: int | None = None,
    *,
    strict_unknown: bool = False,
    at_rcpt: bool = False,
) -> Classification:
    """The reason of one failure and the type it implies (see the module docstring)."""
    text = diagnostic or ""
    if status and _GENERIC_STATUS.fullmatch(status.strip()):
        # Exim's DSNs say "Status: 5.0.0" and put the real code in the text.
        specific = find_status(text)
        if specific and specific[0] in "45":
            status = specific
    if not status:
        status = find_status(text)
        if status and status[0] == "2":
            status = None  # "Mailman 2.0.12" in free text is no status code
    elif not _STATUS_RE.search(status):
        status = None
    if reply_code is None:
        reply_code = find_reply_code(text)
    if status and status[0] == "2":
        return Classification(SOFT, "delivered")
    if status is None and reply_code and 400 <= reply_code < 500:
        status = "4.0.0"  # a bare 4xx reply: temporary, nothing more
    reason = reason_for(
        status, text, reply_code, strict_unknown=strict_unknown, at_rcpt=at_rcpt
    )
    return Classification(bounce_type(reason, status), reason)


def reason_for(
    status: str | None,
    text: str | None,
    reply_code: int | None = None,
    *,
    strict_unknown: bool = False,
    at_rcpt: bool = False,
) -> str:
    """The reason alone (see the module docstring for the order of the rules)."""
    # Line breaks and runs of spaces ("User  not listed") are one space to the wordings.
    low = " ".join((text or "")[:TEXT_CAP].lower().split())
    low = _join_reply_lines(low)
    provider = provider_reason(low)
    if provider:
        return provider  # the provider's own code says what its words only hint at
    found = reasons_in(low)
    coded = _status_reason(status)
    stage = _SENDER_STAGE_RE.search(low)
    if stage:
        return _sender_stage_reason(stage.group(1), found, coded)
    if "userunknown" in found or coded == "userunknown":
        if coded == "userunknown":
            if found & _NOT_UNKNOWN:  # "5.1.1 ... blocked": the block is the cause
                found.discard("userunknown")
                coded = None
        elif (strict_unknown or coded == "filtered") and not (
            at_rcpt or _RCPT_RE.search(low)
        ):
            # An unknown user reported after the message was sent (DATA), with no
            # status saying so: the recipient's filter refused it.
            found.discard("userunknown")
            found.add("filtered")
    if status and status[0] == "4" and "expired" in found:
        # A temporary answer until the queue gave up ("retry timeout exceeded"):
        # unless the text names the cause ("Mailbox Full"), the retrying failed.
        if not found.intersection(FIRST_ORDER):
            return "expired"
    if coded == "exceedlimit" and "recipsizelimit" not in low:
        # 5.2.3: the mailbox's limit, whatever the words (Exchange names its
        # per-recipient message size limit RecipSizeLimit: the message's size).
        found.discard("mesgtoobig")
    if coded == "hostunknown" and "networkerror" in found:
        coded = None  # "5.1.2 ... host not found, try again": the lookup failed
        found.discard("hostunknown")
    for reason in FIRST_ORDER:
        if reason == coded or reason in found:
            return reason
    if coded and coded not in RETRY:
        return coded
    for reason in SECOND_ORDER:
        if reason in found:
            return reason
    if coded:
        return coded
    if reply_code == 551:
        return "hasmoved"
    if reply_code == 552:
        return "mailboxfull"
    return "onhold" if (text or "").strip() else "undefined"


def _join_reply_lines(low: str) -> str:
    """The text of a multi-line reply without the code repeated on each of its
    lines, so that a wording split over two lines still reads as one."""
    m = _MULTILINE_RE.match(low)
    if not m:
        return low
    repeated = re.compile(rf"(?<!\S){m.group(1)}[- ](?=\S)")
    return low[: m.end()] + repeated.sub("", low[m.end() :])


def _sender_stage_reason(command: str, found: set[str], coded: str | None) -> str:
    """The reason of a refusal that came before any recipient was named (at
    connection, HELO/EHLO or MAIL FROM): it is about us, the sending host or the
    sender address, never about the recipient's mailbox (Sisimai reads the SMTP
    command the same way). A dead-address wording there names the *sender*."""
    about_sender = found & _RECIPIENT_REASONS or coded in _RECIPIENT_REASONS
    found -= _RECIPIENT_REASONS
    for reason in FIRST_ORDER + SECOND_ORDER:
        if reason in found and reason not in ("systemerror", "expired"):
            return reason
    if command.startswith("mail") and (about_sender or "rejected" in found):
        return "rejected"
    return "blocked"


def _status_reason(status: str | None) -> str | None:
    if not status:
        return None
    m = _STATUS_RE.search(status)
    if not m:
        return None
    klass, key = m.group(1), f"{int(m.group(2))}.{int(m.group(3))}"
    if klass == "4":
        return TEMPORARY_STATUS_REASONS.get(key) or STATUS_REASONS.get(key) or "onhold"
    if key == "0.0":
        return None  # 5.0.0 says nothing
    return STATUS_REASONS.get(key) or _SUBJECT_REASONS.get(m.group(2).lstrip("0"))


# X.<subject>.<unknown detail>: the subject's usual meaning.
_SUBJECT_REASONS = {
    "2": "filtered",
    "3": "systemerror",
    "4": "networkerror",
    "5": "systemerror",
    "6": "contenterror",
    "7": "securityerror",
}
