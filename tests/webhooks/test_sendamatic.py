"""Sendamatic: the secret header, classification by bounce_type, complaints."""

from __future__ import annotations

import pytest
from django.utils.datastructures import CaseInsensitiveMapping

from webhooks.providers.base import VerificationError
from webhooks.providers.sendamatic import Sendamatic, classify_bounce

from .conftest import as_expected, expected, outcome, sample, samples

CONFIG = {
    "header_name": "X-Hook-Secret",
    "header_value": "abc",
    "previous_header_value": "",
}


@pytest.mark.parametrize("name", samples("sendamatic"))
def test_it_parses_each_sample_as_expected(name):
    events = Sendamatic().parse(sample("sendamatic", name), CaseInsensitiveMapping({}))
    assert outcome(events) == as_expected(expected("sendamatic", name))


@pytest.mark.parametrize(
    ("bounce_type", "reputation", "kind"),
    [
        ("Hard bounce", False, "hard"),
        ("Soft bounce - General", True, "hard"),
        ("Soft bounce - DNS failure", False, "soft"),
        ("General bounce", False, "soft"),
        ("Mail block - Spam detected", False, "soft"),
        ("Undetermined", False, "ignored"),
        ("Suspension list", True, "ignored"),
    ],
)
def test_it_classifies_by_bounce_type(bounce_type, reputation, kind):
    assert (
        classify_bounce({"bounce_type": bounce_type, "reputation_score": reputation})
        == kind
    )


def test_it_checks_the_secret_header():
    Sendamatic().verify(
        b"{}", CaseInsensitiveMapping({"x-hook-secret": "abc"}), {}, CONFIG
    )
    rotated = {**CONFIG, "header_value": "new", "previous_header_value": "abc"}
    Sendamatic().verify(
        b"{}", CaseInsensitiveMapping({"X-Hook-Secret": "abc"}), {}, rotated
    )
    for headers in ({}, {"X-Hook-Secret": "abd"}, {"X-Other": "abc"}):
        with pytest.raises(VerificationError):
            Sendamatic().verify(b"{}", CaseInsensitiveMapping(headers), {}, CONFIG)
    with pytest.raises(VerificationError):
        Sendamatic().verify(
            b"{}",
            CaseInsensitiveMapping({"": "abc"}),
            {},
            {**CONFIG, "header_name": ""},
        )


def test_it_ignores_unsubscriptions():
    events = Sendamatic().parse(
        b'{"notification_type": "unsubscription", "unsubscription": {}}', {}
    )
    assert outcome(events) == []
