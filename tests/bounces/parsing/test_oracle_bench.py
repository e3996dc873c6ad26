"""The arithmetic of the oracle bench's comparison with Sisimai 5 (bench/sisimai5_reference.py)."""

from __future__ import annotations

import pytest

from bench.sisimai5_reference import (
    by_family,
    compare_sisimai5,
    family_of,
    pair_in_order,
)


def entry(reason, hard=False, **extra):
    return {"status": "5.0.0", "reason": reason, "hardbounce": hard, **extra}


def event(email, type_, reason):
    return {"email": email, "type": type_, "reason": reason}


def test_pairs_follow_the_type_first_then_the_order():
    ref = [{"type": "hard"}, {"type": "soft"}, {"type": "complaint"}]
    ours = [{"type": "soft"}, {"type": "hard"}]
    assert pair_in_order(ref, ours) == [(0, 1), (1, 0)]
    # Types that differ still pair, in order, so that the count is fair.
    assert pair_in_order([{"type": "hard"}], [{"type": "soft"}]) == [(0, 0)]


def test_figures_count_bounces_only_and_list_every_disagreement():
    reference = {
        "a.eml": [
            entry("userunknown", hard=True),
            entry("mailboxfull"),
            entry("expired", action="delayed"),  # a delay warning
            entry("vacation"),
        ],
        "b.eml": [
            entry("feedback", feedbacktype="abuse"),
            entry("feedback", feedbacktype="auth-failure"),  # DMARC report
            entry("blocked", recipient="same as entry 1"),
        ],
        "c.eml": [entry("mesgtoobig")],
    }
    parsed = {
        "a.eml": [
            event("x@a.example", "soft", "mailboxfull"),
            event("y@a.example", "hard", "userunknown"),
        ],
        "b.eml": [
            event("z@b.example", "complaint", "feedback"),
            event("extra@b.example", "soft", "blocked"),
        ],
        "c.eml": [],
        "not-in-reference.eml": [event("q@c.example", "hard", "userunknown")],
    }
    figures, lines, counts = compare_sisimai5(reference, parsed)
    assert (counts["ref"], counts["ours"], counts["both"]) == (4, 4, 3)
    assert figures["recipients"] == pytest.approx(3 / 4)
    assert figures["precision"] == pytest.approx(3 / 4)
    assert figures["type agreement"] == 1.0
    assert lines == [
        "b.eml: extra@b.example: stmails soft/blocked, Sisimai 5 reports nothing",
        "c.eml: entry 1: missed (Sisimai 5 soft/mesgtoobig)",
    ]


def test_type_and_reason_disagreements_are_counted_apart():
    reference = {"a.eml": [entry("userunknown", hard=True), entry("emailtoolarge")]}
    parsed = {
        "a.eml": [
            event("x@a.example", "soft", "filtered"),
            event("y@a.example", "soft", "mesgtoobig"),  # Sisimai 5's new name
        ]
    }
    figures, lines, counts = compare_sisimai5(reference, parsed)
    assert counts["both"] == 2
    assert figures["type agreement"] == 0.5
    assert figures["reason agreement"] == 0.5
    assert lines == [
        "a.eml: x@a.example: stmails soft/filtered vs Sisimai 5 hard/userunknown"
    ]


def test_counts_are_split_per_sisimai_family():
    reference = {
        "a.eml": [entry("userunknown", hard=True)],
        "b.eml": [entry("mailboxfull")],
        "c.eml": [entry("vacation")],
    }
    parsed = {
        "a.eml": [event("x@a.example", "hard", "userunknown")],
        "b.eml": [],
        "c.eml": [],
    }
    paths = {
        "a.eml": "set-of-emails/maildir/bsd/lhost-postfix-03.eml",
        "b.eml": "set-of-emails/maildir/bsd/lhost-postfix-16.eml",
        "c.eml": "set-of-emails/maildir/bsd/rfc3834-01.eml",
    }
    families = by_family(reference, parsed, paths)
    assert list(families) == ["lhost-postfix", "rfc3834"]
    postfix = families["lhost-postfix"]
    assert (postfix["files"], postfix["ref"], postfix["both"]) == (2, 2, 1)
    assert families["rfc3834"]["ref"] == 0  # an auto-reply: nothing to record


def test_family_names_drop_only_the_sample_number():
    assert family_of("set-of-emails/maildir/bsd/lhost-exchange2007-03.eml") == (
        "lhost-exchange2007"
    )
    assert family_of("set-of-emails/maildir/bsd/arf-02.eml") == "arf"
