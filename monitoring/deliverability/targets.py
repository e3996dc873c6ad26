"""Which domains to check: what stmails actually sends as, plus the admin's extras.

The envelope sender (Return-Path) follows the sending code:
- campaign mail: the VERP address when campaign.verp_enabled (on
  campaign.verp_domain, else the From domain), else a Return-Path header of the
  campaign, else one of the SMTP server's email_headers, else the From address
  (campaigns/sending/message.py build_message, sender.Run.compose);
- system and transactional mail: a Return-Path header of the SMTP server, else
  the From address (stmails/outbox.py _transact).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.db.models import Q
from django.utils import timezone

from campaigns.models import Campaign
from monitoring.deliverability.alignment import Route
from monitoring.deliverability.dkim import selectors_for
from stmails import config

FROM, RETURN_PATH, EXTRA = "From", "Return-Path", "Extra"
RECENT_DAYS = 90
# A check costs a few DNS queries per domain; campaigns with ever-new From
# domains must not turn the page into hundreds of lookups. Extra domains come
# on top (their own limit is in the settings key).
MAX_CAMPAIGN_DOMAINS = 15
MAX_CAMPAIGNS = 500
SETTING_KEYS = (
    "app.from_email",
    "smtp",
    "campaign.verp_enabled",
    "campaign.verp_domain",
    "deliverability.dkim_selectors",
    "deliverability.extra_domains",
)


@dataclass
class Target:
    domain: str
    roles: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    selectors: list[str] = field(default_factory=list)


@dataclass
class Plan:
    targets: list[Target]
    routes: list[Route]
    skipped: list[str] = field(default_factory=list)  # over MAX_CAMPAIGN_DOMAINS

    def routes_from(self, domain: str) -> list[Route]:
        return [r for r in self.routes if r.from_domain == domain]


def domain_of(address: str) -> str:
    return parseaddr(address or "")[1].rpartition("@")[2].strip().lower()


def return_path_domain(headers: list[dict] | None) -> str:
    """The domain of the last Return-Path among [{"Name": "value"}, ...], or ""."""
    found = ""
    for item in headers or []:
        for name, value in item.items():
            if name.lower() == "return-path":
                found = domain_of(value)
    return found


class _Builder:
    def __init__(self, selectors: list[str]):
        self.selector_entries = selectors
        self.targets: dict[str, Target] = {}
        self.routes: dict[tuple[str, str], list[str]] = {}

    def add(self, domain: str, role: str, source: str) -> None:
        target = self.targets.get(domain)
        if target is None:
            target = self.targets[domain] = Target(
                domain, selectors=selectors_for(domain, self.selector_entries)
            )
        if role not in target.roles:
            target.roles.append(role)
        if source not in target.sources:
            target.sources.append(source)

    def route(self, from_domain: str, envelope_domain: str, via: str) -> None:
        self.add(envelope_domain, RETURN_PATH, f"Return-Path: {via}")
        vias = self.routes.setdefault((from_domain, envelope_domain), [])
        if via not in vias:
            vias.append(via)


def _server_paths(servers: list[dict]) -> list[tuple[str, str]]:
    """(envelope domain or "" for the From address, what sets it) per server."""
    paths = []
    for server in servers:
        domain = return_path_domain(server.get("email_headers"))
        if domain:
            paths.append(
                (domain, f"Return-Path header on SMTP server {server['host']}")
            )
        else:
            paths.append(("", "the From address (no Return-Path header)"))
    return list(dict.fromkeys(paths)) or [("", "the From address")]


def build_plan(values: dict, campaigns: list[tuple[str, str, list]]) -> Plan:
    """Targets and routes from settings `values` and (name, from_email, headers)."""
    builder = _Builder(values["deliverability.dkim_selectors"])
    servers = [s for s in values["smtp"] if s.get("enabled")]
    server_paths = _server_paths(servers)
    verp = values["campaign.verp_enabled"]
    verp_domain = values["campaign.verp_domain"]

    def campaign_routes(from_domain: str, headers: list, via_campaign: str) -> None:
        if verp:
            builder.route(from_domain, verp_domain or from_domain, "VERP, campaigns")
        elif own := return_path_domain(headers):
            builder.route(from_domain, own, f"Return-Path header of {via_campaign}")
        else:
            for domain, via in server_paths:
                builder.route(from_domain, domain or from_domain, via)

    default = domain_of(values["app.from_email"])
    if default:
        builder.add(default, FROM, "Default From address (Settings → General)")
        for domain, via in server_paths:
            builder.route(default, domain or default, via)
        campaign_routes(default, [], "campaigns")
    skipped: list[str] = []
    for name, from_email, headers in campaigns:
        domain = domain_of(from_email) or default
        if not domain:
            continue
        if domain not in builder.targets:
            if len(builder.targets) >= MAX_CAMPAIGN_DOMAINS:
                skipped.append(domain)
                continue
        if domain_of(from_email):
            builder.add(domain, FROM, f"From of campaign “{name}”")
        campaign_routes(domain, headers, f"campaign “{name}”")
    for domain in values["deliverability.extra_domains"]:
        builder.add(domain, EXTRA, "Added by you (extra domains)")
    routes = [Route(f, e, tuple(vias)) for (f, e), vias in builder.routes.items()]
    return Plan(list(builder.targets.values()), routes, sorted(set(skipped)))


def plan_checks(now: datetime | None = None) -> Plan:
    """What to check now: settings plus campaigns created or sent in the last 90 days."""
    since = (now or timezone.now()) - timedelta(days=RECENT_DAYS)
    campaigns = (
        Campaign.objects.filter(Q(created_at__gte=since) | Q(started_at__gte=since))
        .order_by("-created_at")
        .values_list("name", "from_email", "headers")[:MAX_CAMPAIGNS]
    )
    return build_plan(config.get_values(*SETTING_KEYS), list(campaigns))
