"""Bounce reasons: the Sisimai vocabulary, and the one rule that turns a reason into a type.

Every recorded bounce carries one of REASONS. The names and meanings follow
Sisimai (https://libsisimai.org/en/reason/), the most complete bounce analyser,
so that figures can be compared with it. Only four reasons say the address is
dead, and only those are hard (HARD_REASONS); a complaint's reason is
"feedback". `bounce_type` is the single place where a reason becomes
hard/soft/complaint: the parser, the provider webhooks and the recorder all
call it.
"""

from __future__ import annotations

HARD = "hard"
SOFT = "soft"
COMPLAINT = "complaint"

# reason -> what it means (shown in the admin filter and documented in docs/bounces/index.md).
REASONS: dict[str, str] = {
    "userunknown": "the mailbox does not exist",
    "hostunknown": "the recipient's domain does not exist or has no mail host",
    "hasmoved": "the mailbox has moved, with no forwarding address",
    "notaccept": "the recipient's domain accepts no mail (null MX)",
    "mailboxfull": "the mailbox is full or over quota",
    "exceedlimit": "the message exceeds the mailbox's size limit",
    "mesgtoobig": "the message is too big for the receiving system",
    "suspend": "the mailbox is disabled, suspended or inactive",
    "filtered": "the recipient's own filter or settings refused the message",
    "rejected": "the sender (envelope from) was refused",
    "blocked": "the sending IP address or host was refused",
    "badreputation": "the sending IP address or domain has a poor reputation",
    "requireptr": "the sending IP address has no (valid) reverse DNS",
    "spamdetected": "the message was judged to be spam",
    "virusdetected": "the message was judged to carry a virus",
    "policyviolation": "the message breaks a policy of the receiving side",
    "authfailure": "SPF, DKIM or DMARC failed",
    "securityerror": "a security or authentication problem",
    "contenterror": "the message's content or format was refused",
    "notcompliantrfc": "the message does not comply with the RFCs",
    "norelaying": "relaying was refused",
    "ratelimited": "too many messages: the receiver is rate-limiting us",
    "toomanyconn": "too many connections or recipients",
    "speeding": "sending too fast",
    "networkerror": "a network or DNS problem",
    "systemerror": "an error on the receiving system",
    "systemfull": "the receiving system is full",
    "expired": "delivery expired after retrying",
    "syntaxerror": "an SMTP syntax error",
    "mailererror": "the receiving mailer program failed",
    "onhold": "a failure the text does not explain",
    "undefined": "no reason could be found",
    "feedback": "a complaint (feedback report)",
    "vacation": "an auto-reply",
    "delivered": "delivered (not a failure)",
}

HARD_REASONS = frozenset({"userunknown", "hostunknown", "hasmoved", "notaccept"})


def bounce_type(reason: str, status: str | None = None) -> str:
    """hard, soft or complaint for a reason.

    A complaint is "feedback". A hard reason is hard unless the status is
    temporary (class 4: the server said to try again), which keeps a subscriber
    whose server had a passing fault.
    """
    if reason == "feedback":
        return COMPLAINT
    if reason in HARD_REASONS and not (status or "").startswith("4"):
        return HARD
    return SOFT


def reason_or_default(reason: str | None, btype: str) -> str:
    """The reason to store: the one given, else "feedback" for a complaint, else
    "undefined" (a source that gave a type and nothing else)."""
    if reason:
        return reason
    return "feedback" if btype == COMPLAINT else "undefined"


def is_reason(value: object) -> bool:
    return isinstance(value, str) and value in REASONS
