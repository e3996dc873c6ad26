"""DMARC analysis against a fake DNS, including the organizational-domain fallback."""

from __future__ import annotations

import pytest

from monitoring.deliverability.dmarc import check_dmarc
from monitoring.deliverability.findings import Severity
from monitoring.deliverability.lookups import org_domain
from tests.monitoring.deliverability.fakes import finding, good_zone, lookups, titles


def dmarc(records, domain="example.com", **kwargs):
    zone = {f"_dmarc.{domain}": records} if records is not None else {}
    return check_dmarc(domain, lookups(zone, **kwargs))


def test_it_passes_a_reject_policy_with_reports():
    section, policy = check_dmarc("example.com", lookups(good_zone()))
    assert section.status == Severity.OK
    assert titles(section) == ["DMARC record found", "DMARC policy is reject"]
    assert policy.policy == "reject"
    assert (policy.adkim, policy.aspf) == ("r", "r")


def test_it_reports_a_missing_record_and_how_to_start():
    section, policy = dmarc(None)
    assert policy is None
    assert section.status == Severity.ERROR
    f = finding(section, "No DMARC record")
    assert "Gmail, Yahoo" in f.explanation
    assert "v=DMARC1; p=none; rua=mailto:" in f.fix


def test_it_reports_lookup_failure_as_could_not_check():
    section, policy = dmarc(None, failing={"_dmarc.example.com"})
    assert policy is None
    assert titles(section) == ["Could not check DMARC"]
    assert section.status == Severity.UNKNOWN


def test_it_reports_two_records():
    section, policy = dmarc(["v=DMARC1; p=none", "v=DMARC1; p=reject"])
    assert policy is None
    assert "ignore DMARC" in finding(section, "More than one DMARC record").explanation


def test_it_calls_p_none_monitoring_only():
    section, policy = dmarc(["v=DMARC1; p=none; rua=mailto:d@example.com"])
    assert section.status == Severity.WARNING
    f = finding(section, "DMARC policy is p=none (monitoring only)")
    assert "still gets through" in f.explanation
    assert "p=quarantine" in f.fix


def test_it_warns_about_missing_reports_and_partial_pct():
    section, _ = dmarc(["v=DMARC1; p=quarantine; pct=25"])
    assert section.has("No aggregate reports (rua= missing)")
    assert "pct=25" in finding(section, "Policy applies to only 25%").explanation
    assert section.status == Severity.WARNING


def test_it_reports_a_record_without_valid_policy():
    section, policy = dmarc(["v=DMARC1; p=block; rua=mailto:d@example.com"])
    assert policy is None
    assert section.has("DMARC record has no valid p= tag")
    assert section.status == Severity.ERROR


def test_it_falls_back_to_the_organizational_domain_and_uses_sp():
    zone = {
        "_dmarc.example.com": ["v=DMARC1; p=reject; sp=none; rua=mailto:d@example.com"]
    }
    section, policy = check_dmarc("news.example.com", lookups(zone))
    assert section.name == "_dmarc.example.com"
    assert (
        "organizational domain example.com applies"
        in finding(section, "DMARC record found").explanation
    )
    assert policy.policy == "none"
    assert section.has("DMARC policy is p=none")


def test_it_does_not_fall_back_when_the_subdomain_has_a_record():
    zone = {
        "_dmarc.news.example.com": ["v=DMARC1; p=quarantine; rua=mailto:d@example.com"],
        "_dmarc.example.com": ["v=DMARC1; p=none"],
    }
    section, policy = check_dmarc("news.example.com", lookups(zone))
    assert section.name == "_dmarc.news.example.com"
    assert policy.policy == "quarantine"


def test_it_names_both_places_when_neither_has_a_record():
    section, _ = check_dmarc("news.example.com", lookups({}))
    assert (
        "nor at _dmarc.example.com" in finding(section, "No DMARC record").explanation
    )


def test_it_warns_when_subdomains_are_left_open():
    section, _ = dmarc(["v=DMARC1; p=reject; sp=none; rua=mailto:d@example.com"])
    assert section.has("Subdomains are not protected (sp=none)")


def test_it_notes_strict_alignment():
    section, policy = dmarc(
        ["v=DMARC1; p=reject; rua=mailto:d@example.com; aspf=s; adkim=s"]
    )
    assert section.status == Severity.OK
    assert finding(section, "Strict SPF alignment").severity == Severity.INFO
    assert (policy.adkim, policy.aspf) == ("s", "s")


@pytest.mark.parametrize(
    ("domain", "org"),
    [
        ("example.com", "example.com"),
        ("mail.news.example.com", "example.com"),
        ("bounces.shop.example.co.uk", "example.co.uk"),
        ("Example.COM.", "example.com"),
    ],
)
def test_it_finds_the_organizational_domain(domain, org):
    assert org_domain(domain) == org
