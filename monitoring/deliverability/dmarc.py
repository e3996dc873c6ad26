"""DMARC (RFC 7489) at _dmarc.<domain>, falling back to the organizational domain."""

from __future__ import annotations

from dataclasses import dataclass

from monitoring.deliverability.findings import Section, Severity
from monitoring.deliverability.lookups import Lookups, org_domain, parse_tags
from stmails.lib.dns_resolver import LookupFailed, NoRecord

POLICIES = ("none", "quarantine", "reject")


@dataclass(frozen=True)
class DmarcPolicy:
    """What the alignment check needs from the record that applies."""

    policy: str  # the effective p= (sp= for a subdomain using its org's record)
    adkim: str  # "r" relaxed or "s" strict
    aspf: str
    found_at: str  # the _dmarc name the record came from


def _dmarc_records(name: str, dns: Lookups) -> list[str]:
    try:
        txt = dns.txt(name)
    except NoRecord:
        return []
    return [r for r in txt if r.strip().upper().startswith("V=DMARC1")]


def check_dmarc(domain: str, dns: Lookups) -> tuple[Section, DmarcPolicy | None]:
    name = f"_dmarc.{domain}"
    section = Section("DMARC", name)
    org = org_domain(domain)
    try:
        records = _dmarc_records(name, dns)
        inherited = not records and org != domain
        if inherited:
            name = f"_dmarc.{org}"
            records = _dmarc_records(name, dns)
    except LookupFailed as e:
        section.add(
            Severity.UNKNOWN,
            "Could not check DMARC",
            f"The DNS lookup of {e.name} failed: {e.message}. That does not mean "
            "the record is missing.",
            "Check again in a minute.",
        )
        return section, None
    section.name, section.records = name, records
    if not records:
        also = f" nor at _dmarc.{org}" if org != domain else ""
        section.add(
            Severity.ERROR,
            "No DMARC record",
            f"There is no DMARC record at _dmarc.{domain}{also}. Gmail, Yahoo and "
            "others require one from bulk senders, and without it anyone can send "
            f"mail as @{domain} with no policy telling receivers what to do.",
            f"Start with a TXT record at _dmarc.{domain}: v=DMARC1; p=none; "
            f"rua=mailto:dmarc-reports@{domain}. Read the reports for a few weeks, "
            "then move to p=quarantine and later p=reject.",
        )
        return section, None
    if len(records) > 1:
        section.add(
            Severity.ERROR,
            "More than one DMARC record",
            f"{name} has {len(records)} v=DMARC1 records. Receivers then ignore "
            "DMARC for the domain entirely.",
            "Delete all but one.",
        )
        return section, None
    return section, _check_record(section, domain, org, inherited, records[0])


def _check_record(
    section: Section, domain: str, org: str, inherited: bool, record: str
) -> DmarcPolicy | None:
    tags = {k: v.lower() for k, v in parse_tags(record).items() if k != "rua"}
    tags["rua"] = parse_tags(record).get("rua", "")
    p = tags.get("p", "")
    if p not in POLICIES:
        section.add(
            Severity.ERROR,
            "DMARC record has no valid p= tag",
            "p= must be none, quarantine or reject. Receivers ignore the record, "
            "or treat it as p=none if it asks for reports.",
            "Add p=none (to start) right after v=DMARC1.",
        )
        return None
    sp = tags.get("sp", "")
    policy = sp if inherited and sp in POLICIES else p
    where = (
        f"No record at _dmarc.{domain}; the record of the organizational domain "
        f"{org} applies" + (" (its sp= policy for subdomains)." if sp else ".")
        if inherited
        else f"{section.name} holds one DMARC record."
    )
    section.add(Severity.OK, "DMARC record found", where)
    if policy == "none":
        section.add(
            Severity.WARNING,
            "DMARC policy is p=none (monitoring only)",
            "Receivers send reports but deliver mail that fails DMARC as usual, so "
            f"mail forged as @{domain} still gets through. Fine while you read the "
            "reports; not protection.",
            "Once the reports show all your real mail passing, change to "
            "p=quarantine, then p=reject.",
        )
    else:
        section.add(
            Severity.OK,
            f"DMARC policy is {policy}",
            "Mail that fails DMARC is "
            + ("sent to spam." if policy == "quarantine" else "rejected."),
        )
    if not inherited and sp == "none" and p != "none":
        section.add(
            Severity.WARNING,
            "Subdomains are not protected (sp=none)",
            f"Mail forged from any subdomain of {domain} is delivered as usual.",
            "Remove sp=none, or set sp=quarantine.",
        )
    if not tags["rua"]:
        section.add(
            Severity.WARNING,
            "No aggregate reports (rua= missing)",
            "Without rua= receivers send you no DMARC reports, so you cannot see "
            "which mail passes or fails, or who sends as your domain.",
            f"Add rua=mailto:dmarc-reports@{org} (or a DMARC report service's "
            "address).",
        )
    pct = tags.get("pct", "100")
    if not (pct.isascii() and pct.isdigit()) or len(pct) > 3 or int(pct) > 100:
        section.add(
            Severity.WARNING,
            f"pct={pct} is not a number from 0 to 100",
            "Receivers ignore an invalid pct= and apply the policy to all mail.",
            "Remove pct= or set a number from 0 to 100.",
        )
    elif int(pct) < 100 and policy != "none":
        section.add(
            Severity.WARNING,
            f"Policy applies to only {pct}% of failing mail",
            f"pct={pct}: receivers apply p={policy} to that share of the mail that "
            "fails DMARC and treat the rest one step more leniently.",
            "Raise pct= to 100 (or remove it) once you are confident.",
        )
    for tag, what in (("adkim", "DKIM"), ("aspf", "SPF")):
        if tags.get(tag) == "s":
            section.add(
                Severity.INFO,
                f"Strict {what} alignment ({tag}=s)",
                f"{what} counts for DMARC only when its domain equals the From "
                "domain exactly, not just a subdomain of the same organization.",
            )
    return DmarcPolicy(
        policy=policy,
        adkim="s" if tags.get("adkim") == "s" else "r",
        aspf="s" if tags.get("aspf") == "s" else "r",
        found_at=section.name,
    )
