"""From/Return-Path alignment, the bounce MX, and which domains get checked."""

from __future__ import annotations

from monitoring.deliverability.alignment import (
    Route,
    check_alignment,
    check_return_path,
)
from monitoring.deliverability.dmarc import DmarcPolicy
from monitoring.deliverability.findings import Severity
from monitoring.deliverability.lookups import Lookups
from monitoring.deliverability.report import check_target
from monitoring.deliverability.targets import build_plan
from tests.monitoring.deliverability.fakes import (
    FakeResolver,
    finding,
    good_zone,
    lookups,
)

RELAXED = DmarcPolicy("reject", "r", "r", "_dmarc.example.com")
STRICT = DmarcPolicy("reject", "r", "s", "_dmarc.example.com")


def align(envelope: str, policy=RELAXED, via=("VERP, campaigns",)):
    return check_alignment("example.com", [Route("example.com", envelope, via)], policy)


def test_it_passes_the_same_domain():
    section = align("example.com")
    assert section.status == Severity.OK
    assert section.has("Return-Path @example.com is the From domain")


def test_it_passes_a_subdomain_under_relaxed_alignment():
    section = align("bounces.example.com")
    f = finding(section, "Return-Path @bounces.example.com aligns (relaxed)")
    assert "share the organizational domain example.com" in f.explanation
    assert "(set by VERP, campaigns)" in f.explanation


def test_it_warns_about_a_subdomain_under_strict_spf_alignment():
    section = align("bounces.example.com", STRICT)
    assert section.status == Severity.WARNING
    assert section.has("Return-Path @bounces.example.com does not align under aspf=s")


def test_it_warns_about_a_foreign_return_path_and_says_dkim_must_carry_it():
    section = align(
        "bounce.mailer.example",
        via=("Return-Path header on SMTP server smtp.mailer.example",),
    )
    assert section.status == Severity.WARNING
    f = finding(section, "Return-Path @bounce.mailer.example is not aligned")
    assert "d=example.com" in f.explanation
    assert "smtp.mailer.example" in f.explanation
    assert "bounces.example.com" in f.fix


def test_it_always_says_dkim_alignment_is_not_in_dns():
    f = finding(align("example.com"), "DKIM alignment cannot be seen in DNS")
    assert f.severity == Severity.INFO
    assert "header round trip" in f.fix


def test_it_checks_that_bounces_can_come_back():
    dns = lookups(
        {}, mx={"example.com": [(10, "mx1.example.com"), (20, "mx2.example.com")]}
    )
    section = check_return_path("example.com", dns)
    assert section.status == Severity.OK
    assert section.records == ["MX 10 mx1.example.com", "MX 20 mx2.example.com"]
    assert check_return_path("nomx.example", dns).has("No MX record")
    null = check_return_path(
        "null.example", lookups({}, mx={"null.example": [(0, "")]})
    )
    assert null.status == Severity.ERROR
    assert null.has("Domain accepts no mail (null MX)")
    failed = check_return_path("x.example", lookups({}, failing={"x.example"}))
    assert failed.status == Severity.UNKNOWN


def _values(**overrides):
    values = {
        "app.from_email": "News <news@example.com>",
        "smtp": [{"enabled": True, "host": "smtp.example.com", "email_headers": []}],
        "campaign.verp_enabled": False,
        "campaign.verp_domain": "",
        "deliverability.dkim_selectors": ["s1"],
        "deliverability.extra_domains": [],
    }
    values.update(overrides)
    return values


def test_it_checks_the_default_from_with_itself_as_return_path():
    plan = build_plan(_values(), [])
    (target,) = plan.targets
    assert target.domain == "example.com"
    assert target.roles == ["From", "Return-Path"]
    assert target.selectors == ["s1"]
    assert [(r.from_domain, r.envelope_domain) for r in plan.routes] == [
        ("example.com", "example.com")
    ]


def test_it_finds_return_paths_from_verp_servers_and_campaigns():
    values = _values(
        smtp=[
            {
                "enabled": True,
                "host": "a",
                "email_headers": [{"Return-Path": "b@rp.example.com"}],
            },
            {
                "enabled": False,
                "host": "off",
                "email_headers": [{"Return-Path": "x@off.example"}],
            },
        ],
        **{
            "campaign.verp_enabled": True,
            "campaign.verp_domain": "bounces.example.com",
            "deliverability.dkim_selectors": ["s1", "shop.example:s9"],
            "deliverability.extra_domains": ["extra.example"],
        },
    )
    campaigns = [
        ("Spring", "Shop <hi@shop.example>", [{"return-path": "r@rp.shop.example"}]),
        ("Old", "", []),
    ]
    plan = build_plan(values, campaigns)
    domains = {t.domain: t for t in plan.targets}
    assert list(domains) == [
        "example.com",
        "rp.example.com",
        "bounces.example.com",
        "shop.example",
        "extra.example",
    ]
    assert domains["shop.example"].selectors == ["s1", "s9"]
    assert domains["shop.example"].sources == ["From of campaign “Spring”"]
    assert domains["extra.example"].roles == ["Extra"]
    assert "off.example" not in domains  # disabled server
    # VERP wins over the campaign's own Return-Path for campaign mail.
    assert {(r.from_domain, r.envelope_domain) for r in plan.routes} == {
        ("example.com", "rp.example.com"),  # system mail via server a
        ("example.com", "bounces.example.com"),
        ("shop.example", "bounces.example.com"),
    }


def test_it_uses_a_campaign_return_path_without_verp():
    plan = build_plan(
        _values(),
        [("Spring", "hi@shop.example", [{"Return-Path": "r@rp.shop.example"}])],
    )
    assert ("shop.example", "rp.shop.example") in {
        (r.from_domain, r.envelope_domain) for r in plan.routes
    }


def test_it_runs_every_check_on_a_good_setup_and_all_are_ok():
    resolver = FakeResolver(
        txt=good_zone(), mx={"example.com": [(10, "mx.example.com")]}
    )
    plan = build_plan(_values(), [])
    report = check_target(plan.targets[0], plan, Lookups(resolver))
    assert [s.label for s in report.sections] == [
        "SPF",
        "DKIM selector s1",
        "DMARC",
        "Alignment",
        "Bounces (MX)",
    ]
    assert report.status == Severity.OK, [
        (s.label, f.title) for s in report.sections for f in s.findings
    ]


def test_it_stops_asking_a_dns_server_that_does_not_answer():
    names = ["example.com", "s1._domainkey.example.com", "_dmarc.example.com"]
    resolver = FakeResolver(failing=names + ["_spf.mailer.example"])
    plan = build_plan(_values(), [])
    report = check_target(plan.targets[0], plan, Lookups(resolver))
    statuses = {s.label: s.status for s in report.sections}
    assert statuses["SPF"] == statuses["DMARC"] == Severity.UNKNOWN
    assert statuses["Bounces (MX)"] == Severity.UNKNOWN
    assert not any(s.has("No ") for s in report.sections)
    # After three failures the rest are skipped rather than each timing out.
    assert len(resolver.asked) == 3
