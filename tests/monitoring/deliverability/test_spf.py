"""SPF analysis against a fake DNS: each finding and its plain words."""

from __future__ import annotations

import pytest

from monitoring.deliverability.findings import Severity
from monitoring.deliverability.spf import check_spf, parse_terms
from tests.monitoring.deliverability.fakes import finding, good_zone, lookups, titles


def spf(record_or_records, **extra):
    records = (
        record_or_records
        if isinstance(record_or_records, list)
        else [record_or_records]
    )
    return check_spf("example.com", lookups({"example.com": records, **extra}))


def test_it_passes_a_good_record_and_counts_includes():
    section = check_spf("example.com", lookups(good_zone()))
    assert section.status == Severity.OK
    assert section.records == ["v=spf1 include:_spf.mailer.example -all"]
    assert titles(section) == [
        "SPF record found",
        "Other servers fail (-all)",
        "1 of 10 DNS lookups used",
    ]


def test_it_reports_a_missing_record():
    section = spf(["google-site-verification=abc"])
    assert section.status == Severity.ERROR
    f = finding(section, "No SPF record")
    assert "Return-Path" in f.explanation
    assert "v=spf1" in f.fix


def test_it_reports_a_missing_domain_as_missing():
    section = check_spf("example.com", lookups({}))
    assert titles(section) == ["No SPF record"]


def test_it_reports_a_lookup_failure_as_could_not_check():
    section = check_spf("example.com", lookups({}, failing={"example.com"}))
    assert section.status == Severity.UNKNOWN
    f = finding(section, "Could not check SPF")
    assert "does not mean the record is missing" in f.explanation
    assert not section.has("No SPF record")


def test_it_reports_two_records_as_permerror():
    section = spf(["v=spf1 -all", "v=spf1 include:x.example ~all"])
    assert section.status == Severity.ERROR
    f = finding(section, "More than one SPF record")
    assert "permerror" in f.explanation
    assert "Merge" in f.fix


@pytest.mark.parametrize(
    ("record", "severity", "title"),
    [
        ("v=spf1 ip4:192.0.2.1 +all", Severity.ERROR, "SPF allows anyone (+all)"),
        ("v=spf1 ip4:192.0.2.1 all", Severity.ERROR, "SPF allows anyone (+all)"),
        ("v=spf1 ip4:192.0.2.1 ?all", Severity.WARNING, "SPF is neutral"),
        ("v=spf1 ip4:192.0.2.1 ~all", Severity.OK, "Soft fail for other servers"),
        ("v=spf1 ip4:192.0.2.1", Severity.WARNING, "SPF record has no 'all'"),
    ],
)
def test_it_judges_the_closing_all(record, severity, title):
    section = spf(record)
    assert finding(section, title).severity == severity
    assert section.status == severity


def test_it_explains_softfail_in_plain_words():
    f = finding(spf("v=spf1 mx ~all"), "Soft fail")
    assert "marked suspicious rather than rejected" in f.explanation


def test_it_follows_redirect_for_the_closing_all():
    section = spf(
        "v=spf1 redirect=_spf.example.net", **{"_spf.example.net": ["v=spf1 +all"]}
    )
    assert section.has("SPF allows anyone (+all)")
    assert section.has("1 of 10 DNS lookups used")


def test_it_counts_lookups_recursively_through_includes():
    zone = {
        "example.com": ["v=spf1 include:a.example include:b.example mx -all"],
        "a.example": ["v=spf1 include:c.example a ~all"],
        "b.example": ["v=spf1 exists:%{i}.x.example ptr ?all"],
        "c.example": ["v=spf1 a mx ip4:192.0.2.1 ~all"],
    }
    section = check_spf("example.com", lookups(zone))
    # example.com: 2 includes + mx; a: include + a; b: exists + ptr; c: a + mx.
    assert section.has("9 of 10 DNS lookups used")
    assert section.has("SPF uses ptr")


def test_it_reports_more_than_ten_lookups_as_permerror():
    zone = {"example.com": ["v=spf1 include:a.example include:b.example -all"]}
    zone["a.example"] = [
        "v=spf1 " + " ".join(f"a:h{i}.example" for i in range(6)) + " -all"
    ]
    zone["b.example"] = ["v=spf1 mx a ptr exists:x.example ~all"]
    section = check_spf("example.com", lookups(zone))
    assert section.status == Severity.ERROR
    f = finding(section, "Too many DNS lookups")
    assert "(12 or more; the limit is 10)" in f.title
    assert "permerror" in f.explanation


def test_it_stops_at_include_loops():
    zone = {
        "example.com": ["v=spf1 include:a.example -all"],
        "a.example": ["v=spf1 include:example.com ~all"],
    }
    section = check_spf("example.com", lookups(zone))
    assert section.has("2 of 10 DNS lookups used")


def test_it_reports_an_include_without_spf_record():
    section = spf("v=spf1 include:_spf.typo.example -all")
    f = finding(section, "An included SPF record is broken")
    assert f.severity == Severity.ERROR
    assert "_spf.typo.example has no SPF record" in f.explanation


def test_it_reports_a_failed_include_lookup_as_could_not_check():
    section = check_spf(
        "example.com",
        lookups(
            {"example.com": ["v=spf1 include:slow.example -all"]},
            failing={"slow.example"},
        ),
    )
    assert section.status == Severity.UNKNOWN
    assert "slow.example" in finding(section, "Could not follow").explanation
    assert not section.has("An included SPF record is broken")


def test_it_reports_an_unknown_mechanism():
    section = spf("v=spf1 inclde:_spf.example.net -all")
    f = finding(section, "SPF record has an error")
    assert "'inclde:_spf.example.net'" in f.explanation


def test_it_parses_terms_with_qualifiers_and_modifiers():
    terms = parse_terms(
        "v=spf1 -ip4:192.0.2.0/24 a/24 include:x.example exp=e.example ~all"
    )
    assert [(t.qualifier, t.name, t.value, t.modifier) for t in terms] == [
        ("-", "ip4", "192.0.2.0/24", False),
        ("+", "a", "", False),
        ("+", "include", "x.example", False),
        ("+", "exp", "e.example", True),
        ("~", "all", "", False),
    ]
