"""DKIM key analysis against a fake DNS."""

from __future__ import annotations

import base64

from monitoring.deliverability.dkim import check_dkim, check_selector, selectors_for
from monitoring.deliverability.findings import Severity
from tests.monitoring.deliverability.fakes import (
    finding,
    good_zone,
    lookups,
    rsa_key,
    titles,
)

NAME = "s1._domainkey.example.com"


def dkim(record: str | None, **kwargs):
    zone = {NAME: [record]} if record is not None else {}
    return check_selector("example.com", "s1", lookups(zone, **kwargs))


def test_it_passes_a_2048_bit_rsa_key():
    section = check_selector("example.com", "s1", lookups(good_zone()))
    assert section.status == Severity.OK
    assert section.label == "DKIM selector s1"
    assert section.name == NAME
    assert titles(section) == ["RSA DKIM key found (2048 bits)"]
    assert section.records[0].startswith("v=DKIM1; k=rsa; p=MII")


def test_it_reports_a_missing_key_with_the_name_it_looked_at():
    section = dkim(None)
    assert section.status == Severity.ERROR
    f = finding(section, f"No DKIM key at {NAME}")
    assert "selector s1" in f.explanation
    assert "correct the selector" in f.fix


def test_it_reports_a_txt_record_that_is_not_a_key():
    section = dkim("some-verification=abc")
    assert section.has("No DKIM key")


def test_it_reports_lookup_failure_as_could_not_check():
    section = dkim(None, failing={NAME})
    assert section.status == Severity.UNKNOWN
    assert titles(section) == ["Could not check DKIM"]


def test_it_reports_a_revoked_key():
    section = dkim("v=DKIM1; k=rsa; p=")
    assert section.status == Severity.ERROR
    f = finding(section, "DKIM key revoked (p= is empty)")
    assert "withdrawn" in f.explanation


def test_it_reports_a_key_under_1024_bits():
    section = dkim(f"v=DKIM1; p={rsa_key(768)}")
    assert section.status == Severity.ERROR
    f = finding(section, "DKIM key too short (768 bits)")
    assert "RFC 8301" in f.explanation
    assert "2048-bit" in f.fix


def test_it_accepts_1024_bits_with_advice():
    section = dkim(f"v=DKIM1; p={rsa_key(1024)}")
    assert section.status == Severity.OK
    assert "2048 bits is the current advice" in finding(section, "RSA").explanation


def test_it_reads_keys_split_over_several_strings_with_spaces():
    key = rsa_key(2048)
    section = dkim(f"v=DKIM1; k=rsa; p={key[:200]} {key[200:]}")
    assert section.has("RSA DKIM key found (2048 bits)")


def test_it_reports_a_truncated_key():
    section = dkim(f"v=DKIM1; k=rsa; p={rsa_key(2048)[:120]}")
    assert section.status == Severity.ERROR
    assert "cut short" in finding(section, "DKIM key is unreadable").fix


def test_it_follows_a_cname_to_the_providers_key():
    target = "s1.dkim.provider.example"
    zone = {target: [f"v=DKIM1; k=rsa; p={rsa_key(2048)}"]}
    section = check_selector("example.com", "s1", lookups(zone, cnames={NAME: target}))
    assert section.status == Severity.OK
    assert section.records[0] == f"CNAME {target}"
    assert titles(section) == [
        f"RSA DKIM key found (2048 bits) (through the alias {target})"
    ]


def test_it_reports_a_cname_to_nowhere_as_missing():
    section = check_selector(
        "example.com", "s1", lookups({}, cnames={NAME: "gone.provider.example"})
    )
    assert section.has("No DKIM key")
    assert section.records == ["CNAME gone.provider.example"]


def test_it_accepts_ed25519_with_a_note():
    key = base64.b64encode(bytes(range(32))).decode()
    section = dkim(f"v=DKIM1; k=ed25519; p={key}")
    assert section.status == Severity.OK
    assert "RSA key too" in finding(section, "Ed25519 DKIM key found").explanation


def test_it_warns_about_testing_mode_and_two_keys():
    key = rsa_key(2048)
    zone = {NAME: [f"v=DKIM1; t=y; p={key}", f"v=DKIM1; p={key}"]}
    section = check_selector("example.com", "s1", lookups(zone))
    assert section.status == Severity.WARNING
    assert section.has("DKIM key in testing mode (t=y)")
    assert section.has("More than one key record")


def test_it_asks_for_a_selector_when_none_is_entered():
    (section,) = check_dkim("example.com", [], lookups({}))
    assert section.status == Severity.WARNING
    assert "header round trip" in finding(section, "No DKIM selector entered").fix


def test_it_picks_global_and_per_domain_selectors():
    entries = ["s1", "example.com:s2", "other.org:s3", "s1"]
    assert selectors_for("example.com", entries) == ["s1", "s2"]
    assert selectors_for("other.org", entries) == ["s1", "s3"]
