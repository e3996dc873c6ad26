"""Reasons that a few providers state as their own error codes.

Some receiving providers answer with a code of their own next to (or instead
of) an RFC 3463 status, and the code says more than the words: Cox and
Spectrum append "AUP#<code>" (Cox's codes are names, CDRBL, CXSNDR...; Spectrum's
are numbers, "AUP#In-1310"), Orange and La Poste "LPN007_102", "OFR_506", GoDaddy
(secureserver.net) "IB506". The
providers publish what each code means (the bounce analysers record those
tables: Sisimai's Rhost modules); stmails keeps the reason each code names.

The text given is the lower-cased, capped diagnostic; each pattern is anchored
on its literal prefix with bounded repeats, so the scan stays linear.
"""

from __future__ import annotations

import re

# Cox: https://www.cox.com/residential/support/email-error-codes.html
_COX = {
    "cxbl": "blocked",
    "cxthrt": "securityerror",
    "cxmj": "securityerror",
    "cxdns": "blocked",
    "cxsndr": "rejected",
    "cxsmtp": "rejected",
    "cxcnct": "toomanyconn",
    "cxmxrt": "toomanyconn",
    "cdrbl": "blocked",
}
# Spectrum (Charter): "AUP#I" (inbound) or "AUP#O" (outbound), four digits.
_SPECTRUM = {
    1000: "blocked",
    1010: "rejected",
    1090: "systemerror",
    1260: "networkerror",
    1500: "rejected",
    1520: "rejected",
    1530: "mesgtoobig",
    1540: "toomanyconn",
    1550: "toomanyconn",
    1560: "policyviolation",
}
_SPECTRUM_RANGES = (
    (1020, 1080, "rejected"),
    (1100, 1150, "blocked"),
    (1160, 1190, "policyviolation"),
    (1200, 1250, "blocked"),
    (1300, 1490, "toomanyconn"),
)
# Orange / La Poste: the last three digits of "LPN007_102", "OFR102-104", "OUK_513".
_ORANGE = {
    "101": "blocked",
    "102": "blocked",
    "103": "blocked",
    "104": "toomanyconn",
    "305": "securityerror",
    "401": "blocked",
    "402": "securityerror",
    "403": "rejected",
    "405": "rejected",
    "415": "rejected",
    "416": "userunknown",
    "417": "mailboxfull",
    "418": "userunknown",
    "420": "suspend",
    "421": "rejected",
    "426": "suspend",
    "505": "systemerror",
    "506": "spamdetected",
    "510": "blocked",
    "514": "mesgtoobig",
    "517": "policyviolation",
    "630": "policyviolation",
    "999": "blocked",
}

# GoDaddy (secureserver.net): "IB" and three digits. IB607, "sent to too many
# recipients this hour", is a rate limit (Sisimai 5 calls it ratelimited).
_GODADDY = {
    "007": "toomanyconn",
    "101": "expired",
    "103": "blocked",
    "104": "blocked",
    "105": "blocked",
    "106": "blocked",
    "108": "blocked",
    "110": "blocked",
    "111": "blocked",
    "112": "blocked",
    "113": "blocked",
    "212": "spamdetected",
    "401": "securityerror",
    "501": "rejected",
    "502": "rejected",
    "504": "toomanyconn",
    "506": "rejected",
    "508": "rejected",
    "510": "toomanyconn",
    "607": "ratelimited",
    "705": "virusdetected",
}

_GODADDY_RE = re.compile(r"\sib(\d{3})\b")
_SPECTRUM_RE = re.compile(r"\baup#[io][a-z]{0,4}-?(\d{4})\b")
_COX_RE = re.compile(r"\baup#([a-z][0-9a-z]{1,11})\b")
_COX_IPBL_RE = re.compile(r"\baup#(?:ipbl[01]{4,5}|urlbl[01]{3,4})\b")
_ORANGE_RE = re.compile(r"\b(?:lpnaaa|lpn|ofr|ouk)(?:_\d{3}|\d{3}[-_]\d{3})\b")


def provider_reason(low: str) -> str | None:
    """The reason a provider's own code in the (lower-cased) text names, or None."""
    if "aup#" in low:
        m = _SPECTRUM_RE.search(low)
        if m:
            code = int(m.group(1))
            if code in _SPECTRUM:
                return _SPECTRUM[code]
            for first, last, reason in _SPECTRUM_RANGES:
                if first <= code <= last:
                    return reason
        m = _COX_IPBL_RE.search(low)
        if m:
            return "spamdetected" if m.group(0).startswith("aup#url") else "blocked"
        m = _COX_RE.search(low)
        if m and m.group(1) in _COX:
            return _COX[m.group(1)]
    m = _ORANGE_RE.search(low)
    if m:
        return _ORANGE.get(m.group(0)[-3:])
    m = _GODADDY_RE.search(low)
    if m:
        return _GODADDY.get(m.group(1))
    return None
