"""Bounces without a DSN: the plain-text reports of Postfix, Exim, qmail, Sendmail,
Exchange/Office 365, Gmail, Yahoo, GroupWise, SMTP32 and many small MTAs.

The text of the notification (never the returned original: it is cut off at
the usual "copy of the message follows" markers) is searched in three passes,
the first that finds an address wins:

1. X-Failed-Recipients (Exim, Gmail and many others add it);
2. the MTA layouts with a fixed shape: "<addr>:" paragraphs (Postfix, qmail,
   Yahoo), indented address lists after a failure heading (Exim, Sendmail,
   Exchange "did not reach the following recipient(s)", Gmail "Delivery to the
   following recipient failed permanently");
3. any address on a line, or the line after one, that says the delivery
   failed or the user is unknown.

The text after each address, up to a blank line, is its diagnostic, which
classify.py turns into hard or soft. Warning-only notices ("will continue
trying", "delayed") are reported as delayed with no failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message

from .addresses import ADDR_PATTERN as _ADDR
from .addresses import ADDR_RE, is_role, normalize_address, plausible

# Where the returned original message starts: nothing below is the bounce.
_CUT_RE = re.compile(
    # Dashes are in the leading class, and the spaces after a ==/__ rule belong to
    # the rule: no two repeats can share a character (linear on a line of dashes).
    r"^[ \t>-]*(?:(?:={2,}|_{2,})[ \t]*)?(?:"
    r"this is a copy of the message|below this line is a copy|"
    r"original message (?:follows|as received)|"
    r"(?:the )?(?:original )?message (?:header|headers|text) follows|"
    r"returned (?:mail|message) follows|unsent message below|"
    r"the header of the original message|header of the original|"
    r"the first \d+ lines of your original message|"
    r"message body (?:follows|suppressed)|original message headers|"
    r"original message:|forwarded message|copy of (?:the |your )?(?:original )?"
    r"message|your message reads|"
    r"message removed|start of returned message|header of the source mail|"
    r"unsent message below|the first part of the message|"
    r"original message[ \t]*-{3,})",
    re.M,
)
_CUT_RE_I = re.compile(_CUT_RE.pattern, re.I | re.M)
_BOUNCE_SUBJECT_RE = re.compile(
    r"undeliver|undelivered|returned mail|return(?:ed|ing) (?:message|to sender)|"
    r"delivery (?:status notification|failure|failed|problem|report|notification)|"
    r"mail delivery|failure notice|non[- ]?delivery|not delivered|could not be "
    r"delivered|failed mail|mail system error|nondeliverable|delivery has failed|"
    r"permanent error|message not delivered|delivery warning|warning: (?:could not|"
    r"message)|mail not delivered|unzustellbar|non remis|no entregado|"
    r"errore di consegna",
    re.I,
)
_DELAY_RE = re.compile(
    r"has not yet been delivered|not yet been delivered|will (?:continue|keep) "
    r"(?:trying|to try|to attempt)|attempts will continue|will be retried|"
    r"warning message only|this is just a warning|has been delayed|"
    r"delivery (?:has been )?postponed|has been postponed|still (?:being )?retried|"
    r"delay(?:ed)? (?:notification|warning)|advisory-only|will retry",
)
_SUBJECT_HARD_RE = re.compile(
    r"user unknown|no such user|unknown user|failed|undeliverable|returned"
)
_HEADING_RE = re.compile(
    r"following (?:address|recipient|user|destination)|"
    r"(?:recipient|address)\(?e?s?\)? (?:failed|had permanent|could not)|"
    r"had permanent fatal errors|did not reach the following|"
    r"could not be delivered to|delivery to the following|"
    r"unable to deliver (?:your )?message to|failed (?:to deliver|permanently)|"
    r"couldn'?t be delivered to|not (?:be )?delivered to|undeliverable to|"
    r"delivery (?:has )?failed|your message to|message to the following|"
    r"the address to which|could not deliver|sent to the following|"
    r"non-existent|following mail|delivery to|recipients?:|failed:|"
    r"permanently failed|addressed to|"
    # m-FILTER (Japanese): "sending to the following address failed".
    r"以下のメールアドレスへの送信に失敗",
    re.I,
)
_FAIL_LINE_RE = re.compile(
    r"user unknown|unknown user|no such (?:user|mailbox|recipient|address|account)|"
    r"does not exist|doesn'?t (?:exist|have)|not found|unknown (?:recipient|address)|"
    r"failed|undeliverable|rejected|invalid|not (?:a )?valid|not recogni[sz]ed|"
    r"could not be delivered|did not match|disabled|over ?quota|mailbox (?:is )?full|"
    r"permanent|unrouteable|no mailbox|unavailable|bounced|error|not known|"
    r"did not (?:exactly )?match|mailbox exceeds",
    re.I,
)
_ORIGINAL_HEADER_RE = re.compile(
    # Quoted too ("> Message-Id: <...>"): a header line never names a failure.
    r"^[\s>]*(?:from|sender|reply-to|return-path|message-id|in-reply-to|references|"
    r"subject|received|errors-to|cc|sent|date)\s*:",
    re.I,
)


@dataclass
class Failure:
    email: str
    diagnostic: str | None = None
    status: str | None = None


@dataclass
class TextResult:
    failures: list[Failure] = field(default_factory=list)
    delayed: bool = False


_BOUNCE_BODY_RE = re.compile(
    r"mail delivery (?:software|system|subsystem)|qmail-send program|"
    r"this is the (?:\w+ )?(?:mail system|postfix program)|could not be delivered|"
    r"delivery to the following recipients? failed|did not reach the following|"
    r"wasn'?t able to deliver|unable to deliver|following addresses had permanent|"
    r"delivery (?:has )?failed|undeliverable|non-?delivery|delivery status notification",
    re.I,
)


_FORWARD_RE = re.compile(r"^\s*(?:fwd?|tr|wg|rv|enc|vs)\s*:", re.I)


def forwarded_by_person(msg: Message, subject: str) -> bool:
    """A person forwarding a bounce ("Fwd: Returned mail", from their own address):
    the bounce they quote is about their mail, not ours. Mail systems never
    forward their own notices under a "Fwd:" subject."""
    if not _FORWARD_RE.match(subject or ""):
        return False
    sender = f"{msg.get('From', '')}"
    return not re.search(
        r"mailer-daemon|postmaster|mail delivery|daemon@", sender, re.I
    )


def bounce_subject(subject: str) -> bool:
    return bool(_BOUNCE_SUBJECT_RE.search(subject or ""))


def looks_like_bounce(msg: Message, subject: str, text: str) -> bool:
    """Whether a message without a DSN part is worth searching for failed recipients.

    A person's mail that happens to say "failed" next to an address is not a bounce.
    """
    if msg.get("X-Failed-Recipients") or bounce_subject(subject):
        return True
    if msg.get("Return-Path", "").strip() == "<>":
        return True
    sender = f"{msg.get('From', '')}"
    if re.search(
        r"mailer-daemon|postmaster|mail delivery|mdaemon|daemon@", sender, re.I
    ):
        return True
    return bool(_BOUNCE_BODY_RE.search(text[:5000]))


def parse_text(msg: Message, text: str, subject: str) -> TextResult:
    """Failed recipients in a non-DSN bounce's text (see the module docstring)."""
    own = _own_addresses(msg)
    text = cut_original(text)
    header = msg.get("X-Failed-Recipients")
    failures: list[Failure] = []
    if header:
        # Capped: each listed address is then looked for in every line of the text.
        for addr in ADDR_RE.findall(str(header)[:10_000])[:100]:
            failures.append(Failure(normalize_address(addr)))
        _attach_diagnostics(failures, text)
    kept = own
    if not failures:
        failures = _by_paragraphs(text)
        # "<addr>:" names the failed recipient outright, even when it is also the
        # bounce's To (a sender who wrote to themselves).
        kept = own - _addresses(msg, "To")
    if not failures:
        kept = own
        failures = _by_layout(text, own)
    if not failures:
        failures = _by_failure_lines(text, own)
    if not failures:
        failures = _by_local_domain(msg, text)
    if not failures and _says_permanent(text.lower()):
        failures = _by_summary_to(text, own)
    failures = _dedupe(f for f in failures if _valid(f.email, kept))
    if _is_warning(text, subject):
        return TextResult(failures=[], delayed=True)
    return TextResult(failures=failures)


def _is_warning(text: str, subject: str) -> bool:
    text, subject = text.lower(), subject.lower()
    if _says_permanent(text) or _SUBJECT_HARD_RE.search(subject):
        return False
    if _DELAY_RE.search(text) or _DELAY_RE.search(subject):
        return True
    return bool(
        re.search(r"\bwarning\b|\bdelay", subject, re.I)
        and not re.search(r"fail|undeliver", subject, re.I)
    )


def _by_local_domain(msg: Message, text: str) -> list[Failure]:
    """AOL lists bare screen names ("screenname") under its heading: add @aol.com."""
    sender = str(msg.get("From", "")).lower()
    if "@aol.com" not in sender:
        return []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if _HEADING_RE.search(line) or line.rstrip().endswith(":"):
            names = []
            for nxt in lines[i + 1 : i + 20]:
                m = re.fullmatch(r"\s+([A-Za-z0-9._-]+)\s*", nxt)
                if not m:
                    break
                names.append(m.group(1))
            if names:
                return [Failure(f"{n}@aol.com", None) for n in names]
    return []


def _by_summary_to(text: str, own: set[str]) -> list[Failure]:
    """qmail-style "I wasn't able to deliver the following message ... To: a@b"."""
    found = []
    for line in text.splitlines():
        m = re.match(r"^\s*to\s*:\s*(.*)$", line, re.I)
        if m:
            found.extend(
                Failure(normalize_address(a), None) for a in _addrs_in(m.group(1), own)
            )
    return found


_PERMANENT_RE = re.compile(
    r"permanent(?:ly)? (?:error|fail)|i'?ve given up|gave up|giving up|"
    r"fatal error|will not (?:be )?(?:retried|try again)|"
    r"not going to try again"
)


def _says_permanent(text: str) -> bool:
    """Whether the (lower-cased) text says the MTA gave up."""
    return bool(_PERMANENT_RE.search(text))


def cut_original(text: str) -> str:
    """The text before the returned original message starts."""
    text = text[:100_000]
    low = text.lower()
    # Lower-cased text with case-sensitive patterns: re.I is several times slower.
    m = _CUT_RE.search(low) if len(low) == len(text) else _CUT_RE_I.search(text)
    text = text[: m.start()] if m else text
    return text[:20_000]  # a notification is short; a pasted original is not


def _own_addresses(msg: Message) -> set[str]:
    return _addresses(
        msg, "From", "Sender", "Return-Path", "Errors-To", "Reply-To", "To"
    )


def _addresses(msg: Message, *names: str) -> set[str]:
    own = set()
    for name in names:
        for addr in ADDR_RE.findall(str(msg.get(name, ""))):
            own.add(addr.lower())
    return own


def _valid(addr: str, own: set[str]) -> bool:
    addr = normalize_address(addr)
    return plausible(addr) and addr.lower() not in own and not is_role(addr)


def _by_paragraphs(text: str) -> list[Failure]:
    """ "<addr>:" or "<addr>: host ... said:" paragraphs (Postfix, qmail, Yahoo)."""
    lines = text.splitlines()
    found: list[Failure] = []
    for i, line in enumerate(lines):
        m = re.match(rf"^\s*<({_ADDR})>(?:\s*\([^)]*\))?\s*:(.*)$", line)
        if m:
            found.append(
                Failure(normalize_address(m.group(1)), _para(lines, i, m.group(2)))
            )
    return found


def _by_layout(text: str, own: set[str]) -> list[Failure]:
    lines = text.splitlines()
    # "552 Quota violation for a@b": a reply line naming the address it refuses.
    replies = []
    for i, line in enumerate(lines):
        if re.match(r"^\s*[45]\d\d[\s-]", line):
            for addr in _addrs_in(line, own):
                replies.append(Failure(normalize_address(addr), _para(lines, i, line)))
    # Lists after a heading (Exim, Sendmail, Exchange, Gmail, GroupWise...).
    for i, line in enumerate(lines):
        heading = _HEADING_RE.search(line)
        if not heading:
            continue
        found = _list_after(lines, i, line[heading.start() :], own)
        if found:
            return found + replies
    return replies


def _list_after(lines: list[str], i: int, tail: str, own: set[str]) -> list[Failure]:
    """Addresses on the heading line, then the list that starts right below it."""
    found = [
        Failure(normalize_address(a), _para(lines, i, lines[i]))
        for a in _addrs_in(tail, own)
    ]
    listing = False
    prose = 0  # non-address lines seen before the list starts
    for k in range(i + 1, min(i + 40, len(lines))):
        line = lines[k]
        if re.match(r"^\s*(?:to|cc|subject|sent|date)\s*:", line, re.I):
            if listing:
                break
            continue  # "Your message To: ... Subject: ..." summaries
        addrs = _addrs_in(line, own)
        if addrs:
            listing = True
            found.extend(
                Failure(normalize_address(a), _para(lines, k, line)) for a in addrs
            )
        elif not line.strip():
            if listing:
                nxt = lines[k + 1] if k + 1 < len(lines) else ""
                if not _addrs_in(nxt, own):
                    break
        elif not listing:
            prose += 1
            if prose > 2:
                break  # the heading is not followed by a list
    return found


def _addrs_in(line: str, own: set[str]) -> list[str]:
    # "not accepting mail from sender@x" names us, not the recipient.
    line = re.sub(rf"\bmail from:?\s+<?{_ADDR}", " ", line, flags=re.I)
    return [a for a in ADDR_RE.findall(line) if _valid(a, own)]


def _by_failure_lines(text: str, own: set[str]) -> list[Failure]:
    lines = text.splitlines()
    found: list[Failure] = []
    for i, line in enumerate(lines):
        if _ORIGINAL_HEADER_RE.match(line) or re.match(r"^\s*to\s*:", line, re.I):
            continue
        addrs = _addrs_in(line, own)
        if not addrs:
            continue
        # The nearest non-blank lines around it (EZweb puts a blank line between
        # the reason and the address).
        context = " ".join([_near(lines, i, -1), line, _near(lines, i, 1)])
        if _FAIL_LINE_RE.search(context):
            found.extend(
                Failure(normalize_address(a), _para(lines, i, line)) for a in addrs
            )
    return found


def _near(lines: list[str], i: int, step: int) -> str:
    """The first non-blank line from i + step on, within two lines."""
    for k in (i + step, i + 2 * step):
        if 0 <= k < len(lines) and lines[k].strip():
            return lines[k]
    return ""


def _para(lines: list[str], start: int, first: str) -> str | None:
    """The diagnostic: the rest of the address line plus following lines to a blank
    line or to the next listed address (Exim lists several without blank lines)."""
    parts = [first.strip()] if first.strip() else []
    indent = len(lines[start]) - len(lines[start].lstrip())
    for line in lines[start + 1 : start + 12]:
        stripped = line.strip()
        if not stripped or re.match(rf"^<?{_ADDR}>?\s*:?\s*$", stripped):
            break
        if (
            re.match(rf"^[<\"]?{_ADDR}", stripped)
            and len(line) - len(line.lstrip()) <= indent
        ):
            break
        parts.append(stripped)
    text = " ".join(parts).strip()
    return text[:1000] or None


def _attach_diagnostics(failures: list[Failure], text: str) -> None:
    lines = text.splitlines()
    for failure in failures:
        for i, line in enumerate(lines):
            if failure.email.lower() in line.lower():
                failure.diagnostic = _para(lines, i, line)
                break
        if failure.diagnostic is None:
            failure.diagnostic = " ".join(text.split())[:1000] or None


def _dedupe(failures) -> list[Failure]:  # type: ignore[no-untyped-def]
    seen: dict[str, Failure] = {}
    for f in failures:
        key = f.email.lower()
        if key not in seen:
            seen[key] = f
        elif not seen[key].diagnostic and f.diagnostic:
            seen[key] = f
    return list(seen.values())
