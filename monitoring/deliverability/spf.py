"""SPF (RFC 7208): one v=spf1 record, a closing `all`, at most 10 DNS lookups."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from monitoring.deliverability.findings import Section, Severity
from monitoring.deliverability.lookups import Lookups
from stmails.lib.dns_resolver import LookupFailed, NoRecord

LOOKUP_LIMIT = 10
# Include nesting we follow; real records nest two or three deep, loops forever.
MAX_DEPTH = 10
MECHANISMS = {"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"}
# Terms that cost a DNS lookup (RFC 7208 section 4.6.4); so does redirect=.
LOOKUP_MECHANISMS = {"include", "a", "mx", "ptr", "exists"}
_MODIFIER = re.compile(r"[a-z][a-z0-9_.-]*=", re.IGNORECASE)
_MECHANISM = re.compile(r"([a-z0-9]+)(?:([:/])(.*))?", re.IGNORECASE)
_NEEDS_VALUE = {"include", "exists", "ip4", "ip6"}


class SpfSyntaxError(Exception):
    def __init__(self, term: str):
        super().__init__(term)
        self.term = term


@dataclass(frozen=True)
class Term:
    name: str  # mechanism or modifier name, lower case
    value: str = ""
    qualifier: str = "+"
    modifier: bool = False


def is_spf(record: str) -> bool:
    text = record.strip().lower()
    return text == "v=spf1" or text.startswith("v=spf1 ")


def parse_terms(record: str) -> list[Term]:
    terms = []
    for token in record.split()[1:]:
        if _MODIFIER.match(token):
            name, _, value = token.partition("=")
            terms.append(Term(name.lower(), value, modifier=True))
            continue
        qualifier = token[0] if token[0] in "+-~?" else "+"
        body = token[1:] if token[0] in "+-~?" else token
        match = _MECHANISM.fullmatch(body)
        name = match.group(1).lower() if match else ""
        value = (match.group(3) or "") if match and match.group(2) == ":" else ""
        if name not in MECHANISMS or (name in _NEEDS_VALUE and not value):
            raise SpfSyntaxError(token)
        if name == "all" and match.group(2):
            raise SpfSyntaxError(token)
        terms.append(Term(name, value, qualifier))
    return terms


@dataclass
class _Walk:
    """What following the includes found."""

    lookups: int = 0
    broken: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    ptr: bool = False


def _follow(domain: str, dns: Lookups, depth: int, seen: set[str], walk: _Walk):
    """Count lookups in `domain`'s SPF record, recursing into include/redirect."""
    try:
        records = [r for r in dns.txt(domain) if is_spf(r)]
    except NoRecord:
        records = []
    except LookupFailed as e:
        walk.failed.append(f"{domain}: {e.message}")
        return
    if len(records) != 1:
        what = "has no SPF record" if not records else "has more than one SPF record"
        walk.broken.append(f"{domain} {what}")
        return
    try:
        terms = parse_terms(records[0])
    except SpfSyntaxError as e:
        walk.broken.append(f"{domain} has an invalid term '{e.term}'")
        return
    _count_terms(terms, dns, depth, seen, walk)


def _count_terms(terms, dns: Lookups, depth: int, seen: set[str], walk: _Walk):
    has_all = any(t.name == "all" and not t.modifier for t in terms)
    for term in terms:
        # redirect= is ignored when the record has an `all` (RFC 7208 6.1).
        follows = term.name == "include" and not term.modifier
        follows |= term.modifier and term.name == "redirect" and not has_all
        if (term.name in LOOKUP_MECHANISMS and not term.modifier) or follows:
            walk.lookups += 1
        walk.ptr |= term.name == "ptr" and not term.modifier
        target = term.value.lower().rstrip(".")
        # Macros (%{i}) name a different domain per message: not followable.
        if not follows or "%" in target or target in seen:
            continue
        if depth >= MAX_DEPTH or walk.lookups > LOOKUP_LIMIT:
            continue  # already over the limit: more queries change nothing
        _follow(target, dns, depth + 1, seen | {target}, walk)


def _final_all(terms: list[Term], dns: Lookups) -> str | None:
    """The qualifier of the `all` that ends evaluation, following redirect=."""
    for _ in range(MAX_DEPTH):
        for term in terms:
            if term.name == "all" and not term.modifier:
                return term.qualifier
        redirect = next((t.value for t in terms if t.name == "redirect"), "")
        if not redirect or "%" in redirect:
            return None
        try:
            records = [r for r in dns.txt(redirect) if is_spf(r)]
            terms = parse_terms(records[0]) if len(records) == 1 else []
        except (NoRecord, LookupFailed, SpfSyntaxError):
            return None
    return None


def check_spf(domain: str, dns: Lookups) -> Section:
    section = Section("SPF", domain)
    try:
        txt = dns.txt(domain)
    except NoRecord:
        txt = []
    except LookupFailed as e:
        section.add(
            Severity.UNKNOWN,
            "Could not check SPF",
            f"The DNS lookup of {domain} failed: {e.message}. That does not mean "
            "the record is missing.",
            "Check again in a minute; if it keeps failing, check the DNS server "
            "stmails uses (STMAILS_DNS_SERVERS).",
        )
        return section
    records = [r for r in txt if is_spf(r)]
    section.records = records
    if not records:
        section.add(
            Severity.ERROR,
            "No SPF record",
            f"Receivers check SPF on the Return-Path (envelope sender) domain. "
            f"{domain} publishes no SPF record, so they cannot tell which servers "
            "may send for it, and many treat its mail as suspicious.",
            f"Publish one TXT record at {domain}: v=spf1 include:<your provider's "
            "SPF domain> -all (or ip4:<your server's address> instead of the "
            "include).",
        )
        return section
    if len(records) > 1:
        section.add(
            Severity.ERROR,
            "More than one SPF record",
            f"{domain} has {len(records)} TXT records starting with v=spf1. "
            "Receivers must then fail SPF (permerror) for every message.",
            "Merge them into one record: keep one v=spf1, put every include: and "
            "ip4: in it, and end with one -all or ~all.",
        )
        return section
    try:
        terms = parse_terms(records[0])
    except SpfSyntaxError as e:
        section.add(
            Severity.ERROR,
            "SPF record has an error",
            f"'{e.term}' is not a valid SPF term. Receivers stop at it (permerror) "
            "and SPF fails for every message.",
            "Fix or remove that term; mechanisms are include:, a, mx, ip4:, ip6:, "
            "exists:, ptr and all.",
        )
        return section
    section.add(Severity.OK, "SPF record found", f"{domain} publishes one SPF record.")
    _check_all(section, _final_all(terms, dns))
    walk = _Walk()
    _count_terms(terms, dns, 0, {domain}, walk)
    _check_walk(section, walk)
    return section


def _check_all(section: Section, qualifier: str | None) -> None:
    if qualifier == "+":
        section.add(
            Severity.ERROR,
            "SPF allows anyone (+all)",
            "The record ends in +all: every server on the internet passes SPF for "
            "this domain, so SPF proves nothing and spammers can use it.",
            "End the record with -all (or ~all while you are still checking).",
        )
    elif qualifier == "?":
        section.add(
            Severity.WARNING,
            "SPF is neutral about other servers (?all)",
            "?all says nothing about servers not listed, so receivers treat mail "
            "from them like mail from a domain without SPF.",
            "End the record with ~all or -all.",
        )
    elif qualifier == "~":
        section.add(
            Severity.OK,
            "Soft fail for other servers (~all)",
            "Mail from servers not listed is marked suspicious rather than "
            "rejected. That is fine; -all is stricter once you are sure every "
            "server that sends for this domain is listed.",
        )
    elif qualifier == "-":
        section.add(
            Severity.OK,
            "Other servers fail (-all)",
            "Mail from servers not listed fails SPF.",
        )
    else:
        section.add(
            Severity.WARNING,
            "SPF record has no 'all' at the end",
            "Without all, mail from servers not listed gets a neutral result, as "
            "if the domain had no policy for them.",
            "End the record with -all or ~all.",
        )


def _check_walk(section: Section, walk: _Walk) -> None:
    if walk.lookups > LOOKUP_LIMIT:
        section.add(
            Severity.ERROR,
            f"Too many DNS lookups ({walk.lookups} or more; the limit is 10)",
            "Each include:, a, mx, ptr, exists: and redirect= costs a lookup, also "
            "inside included records. Past 10 receivers give up (permerror) and "
            "SPF fails for every message.",
            "Remove includes of services you no longer use, replace a and mx by "
            "ip4:/ip6: addresses, or ask your provider for a flattened include.",
        )
    elif not walk.failed:
        section.add(
            Severity.OK,
            f"{walk.lookups} of 10 DNS lookups used",
            "Receivers allow at most 10 lookups (includes counted recursively).",
        )
    for problem in walk.broken:
        section.add(
            Severity.ERROR,
            "An included SPF record is broken",
            f"{problem}. Receivers fail SPF (permerror) when an include: or "
            "redirect= points at a domain without exactly one valid SPF record.",
            "Correct the include (a typo is common) or remove it.",
        )
    for failure in walk.failed:
        section.add(
            Severity.UNKNOWN,
            "Could not follow an include",
            f"Looking up {failure}, so the lookup count is incomplete. This does "
            "not mean the record is wrong.",
            "Check again in a minute.",
        )
    if walk.ptr:
        section.add(
            Severity.WARNING,
            "SPF uses ptr",
            "The ptr mechanism is slow and deprecated (RFC 7208 section 5.5); some "
            "receivers skip it, so servers it was meant to allow may fail.",
            "Replace ptr with ip4:/ip6: addresses or an include:.",
        )
