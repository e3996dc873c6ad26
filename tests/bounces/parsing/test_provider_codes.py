"""Providers' own error codes name the reason (bounces/parsing/provider_codes.py)."""

from __future__ import annotations

import pytest

from bounces.parsing.classify import classify
from bounces.parsing.provider_codes import provider_reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # Cox: named codes, and its DNSBL bit patterns.
        ("550 5.1.0 <x@example.com> sender rejected. aup#cdrbl", "blocked"),
        ("554 aup#cxsndr", "rejected"),
        ("554 aup#ipbl0110", "blocked"),
        ("554 aup#urlbl101", "spamdetected"),
        # Spectrum: exact codes first, then the published ranges.
        ("550 5.1.0 sender rejected. aup#in-1310", "toomanyconn"),
        ("554 aup#o-1530", "mesgtoobig"),
        ("554 aup#i-1105", "blocked"),
        # Orange / La Poste: the last three digits.
        ("554 5.7.1 client host rejected: lpn000_630", "policyviolation"),
        ("421 trop de connexions lpn105_104", "toomanyconn"),
        ("550 ofr_416 adresse inconnue", "userunknown"),
        # GoDaddy (secureserver.net).
        ("550 5.2.0 from: domain is invalid. ib506 <http://x.co>", "rejected"),
        ("550 5.1.1 sent to too many recipients this hour. ib607", "ratelimited"),
    ],
)
def test_a_provider_code_names_the_reason(text, reason):
    assert provider_reason(text) == reason


@pytest.mark.parametrize(
    "text",
    [
        "550 5.1.1 user unknown",
        "aup# without a code",
        "aup#zz9999",  # not a Cox code, not Spectrum's shape
        "lpn_12",  # too short
        "contrib600 is no godaddy code",
    ],
)
def test_other_text_names_no_provider_reason(text):
    assert provider_reason(text) is None


def test_a_rate_limit_under_5_1_1_is_soft():
    # GoDaddy answers a per-hour recipient limit with 5.1.1: the address is fine.
    verdict = classify(
        "5.1.1",
        "550 5.1.1 <a@example.com> - 192.0.2.1 has sent to too many recipients"
        " this hour. IB607 <http://x.co/rlbounce>",
    )
    assert (verdict.type, verdict.reason) == ("soft", "ratelimited")


def test_a_japanese_directory_lookup_is_an_unknown_user():
    # Lotus Domino: "user ka (x@y) is not found in the Domino directory".
    verdict = classify(
        "5.0.0",
        "ユーザー ka (kijitora@example.co.jp) は Domino ディレクトリ には見つかりません。",
        strict_unknown=True,
    )
    assert (verdict.type, verdict.reason) == ("hard", "userunknown")


def test_a_tencent_frequency_limit_is_too_many_connections():
    verdict = classify("5.0.0", "550 Ip frequency limited [...] Blocked IP 192.0.2.22")
    assert verdict.reason == "toomanyconn"
