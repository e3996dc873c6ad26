"""From vs Return-Path alignment (DMARC, RFC 7489 3.1) and whether bounces come back."""

from __future__ import annotations

from dataclasses import dataclass

from monitoring.deliverability.dmarc import DmarcPolicy
from monitoring.deliverability.findings import Section, Severity
from monitoring.deliverability.lookups import Lookups, org_domain
from stmails.lib.dns_resolver import LookupFailed, NoRecord

# A null MX ("MX 0 .", RFC 7505) as different resolvers print the root name.
_NULL_HOSTS = {"", ".", "@"}


@dataclass(frozen=True)
class Route:
    """Mail with From @from_domain goes out with envelope sender @envelope_domain."""

    from_domain: str
    envelope_domain: str
    via: tuple[str, ...]  # what sets that envelope sender, in words


def check_alignment(
    from_domain: str, routes: list[Route], policy: DmarcPolicy | None
) -> Section:
    section = Section("Alignment", from_domain)
    section.records = [f"Return-Path @{r.envelope_domain}" for r in routes]
    org = org_domain(from_domain)
    strict = policy is not None and policy.aspf == "s"
    for route in routes:
        env = route.envelope_domain
        via = f" (set by {', '.join(route.via)})" if route.via else ""
        if env == from_domain:
            section.add(
                Severity.OK,
                f"Return-Path @{env} is the From domain",
                f"SPF is checked on {env}{via}, so an SPF pass counts for DMARC, "
                "strict or relaxed.",
            )
        elif org_domain(env) == org and strict:
            section.add(
                Severity.WARNING,
                f"Return-Path @{env} does not align under aspf=s",
                f"{env}{via} is in the same organization as {from_domain}, but the "
                "DMARC record asks for strict SPF alignment (exact match), so SPF "
                "does not count for DMARC and DKIM has to carry it.",
                f"Use a Return-Path @{from_domain}, or drop aspf=s from the DMARC "
                "record.",
            )
        elif org_domain(env) == org:
            section.add(
                Severity.OK,
                f"Return-Path @{env} aligns (relaxed)",
                f"{env}{via} and {from_domain} share the organizational domain "
                f"{org}, so an SPF pass counts for DMARC under relaxed alignment "
                "(the default).",
            )
        else:
            section.add(
                Severity.WARNING,
                f"Return-Path @{env} is not aligned with From @{from_domain}",
                f"SPF is checked on {env}{via}, which is not part of {org}. An SPF "
                "pass there does not count for DMARC, so DMARC passes only if the "
                f"DKIM signature uses d={from_domain} (or another domain under "
                f"{org}).",
                f"Use a Return-Path under {org}: set the VERP domain (Settings → "
                "Sending) or the Return-Path header (Settings → SMTP) to, e.g., "
                f"bounces.{org}, with its own MX and SPF records.",
            )
    section.add(
        Severity.INFO,
        "DKIM alignment cannot be seen in DNS",
        "Which domain signs your mail (the d= of the DKIM-Signature header) is "
        "chosen by your SMTP server or provider, not published in DNS. DMARC "
        f"needs either SPF or DKIM aligned with {from_domain}.",
        "Send a test message through the header round trip to see d= and the "
        "receiver's verdict.",
    )
    return section


def check_return_path(domain: str, dns: Lookups) -> Section:
    """Bounces to the Return-Path go to its MX: without one they may be lost."""
    section = Section("Bounces (MX)", domain)
    try:
        hosts = dns.mx(domain)
    except NoRecord:
        hosts = []
    except LookupFailed as e:
        section.add(
            Severity.UNKNOWN,
            "Could not check MX",
            f"The DNS lookup of {domain} failed: {e.message}.",
            "Check again in a minute.",
        )
        return section
    section.records = [f"MX {pref} {host or '.'}" for pref, host in hosts]
    if any(host in _NULL_HOSTS for _, host in hosts):
        section.add(
            Severity.ERROR,
            "Domain accepts no mail (null MX)",
            f"{domain} says it receives no mail, so bounces to the Return-Path "
            f"@{domain} are refused and stmails never sees them.",
            "Publish an MX record pointing at the server that delivers into your "
            "bounce mailbox, or use another Return-Path domain.",
        )
    elif not hosts:
        section.add(
            Severity.WARNING,
            "No MX record",
            f"Bounces to the Return-Path @{domain} go to the server named by its MX "
            "record. Without one, senders try the domain's own address (A record); "
            "if that host does not accept mail, bounces are lost.",
            "Publish an MX record pointing at the server that delivers into your "
            "bounce mailbox.",
        )
    else:
        names = ", ".join(host for _, host in hosts)
        section.add(
            Severity.OK,
            "Bounces have somewhere to go",
            f"Mail to @{domain} goes to {names}; make sure bounces+*@{domain} "
            "reach a mailbox stmails scans (Settings → Bounces).",
        )
    return section
