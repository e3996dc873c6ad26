"""The deliverability check the page runs: plan the domains, look up, explain."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from monitoring.deliverability.alignment import check_alignment, check_return_path
from monitoring.deliverability.dkim import check_dkim
from monitoring.deliverability.dmarc import check_dmarc
from monitoring.deliverability.findings import DomainReport, Section, worst
from monitoring.deliverability.lookups import Lookups
from monitoring.deliverability.spf import check_spf
from monitoring.deliverability.targets import (
    EXTRA,
    FROM,
    RETURN_PATH,
    Plan,
    Target,
    plan_checks,
)
from stmails.lib.dns_resolver import Resolver


@dataclass
class Report:
    plan: Plan
    domains: list[DomainReport]
    checked_at: datetime
    queries: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def status(self):
        return worst(d.status for d in self.domains)


def check_target(target: Target, plan: Plan, dns: Lookups) -> DomainReport:
    """Every check that applies to one domain, given the roles it plays.

    1. SPF for every domain (receivers check it on the Return-Path domain).
    2. DKIM and DMARC for From and extra domains: they protect the From.
    3. Alignment for From domains: their Return-Path domains vs the From.
    4. MX for Return-Path domains: bounces have to come back somewhere.
    """
    domain = target.domain
    sections: list[Section] = [check_spf(domain, dns)]
    if FROM in target.roles or EXTRA in target.roles:
        sections += check_dkim(domain, target.selectors, dns)
        dmarc, policy = check_dmarc(domain, dns)
        sections.append(dmarc)
        routes = plan.routes_from(domain)
        if routes:
            sections.append(check_alignment(domain, routes, policy))
    if RETURN_PATH in target.roles:
        sections.append(check_return_path(domain, dns))
    return DomainReport(domain, target.roles, target.sources, sections)


def check_deliverability(
    *, now: datetime | None = None, resolver: Resolver | None = None
) -> Report:
    """Look up and explain the DNS records of every domain stmails sends as.

    Read-only: DNS queries through stmails.lib.dns_resolver, nothing stored.
    """
    now = now or timezone.now()
    plan = plan_checks(now)
    dns = Lookups(resolver)
    domains = [check_target(t, plan, dns) for t in plan.targets]
    counts: dict[str, int] = {}
    for report in domains:
        for section in report.sections:
            counts[section.status] = counts.get(section.status, 0) + 1
    return Report(plan, domains, now, dns.queries, counts)
