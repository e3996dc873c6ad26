"""Forward Email: the computed HMAC vector, classification."""

from __future__ import annotations

import pytest
from django.utils.datastructures import CaseInsensitiveMapping

from webhooks.providers.base import VerificationError
from webhooks.providers.forwardemail import ForwardEmail

from .conftest import as_expected, expected, outcome, sample, samples, vector

NAME = "signed_capacity_COMPUTED"


@pytest.mark.parametrize("name", samples("forwardemail"))
def test_it_parses_each_sample_as_expected(name):
    events = ForwardEmail().parse(
        sample("forwardemail", name), CaseInsensitiveMapping({})
    )
    assert outcome(events) == as_expected(expected("forwardemail", name))


@pytest.mark.parametrize(
    ("category", "kind"),
    [
        ("recipient", "hard"),
        ("block", "hard"),
        ("spam", "hard"),
        ("virus", "hard"),
        ("capacity", "soft"),
        ("network", "soft"),
    ],
)
def test_it_classifies_by_bounce_category(category, kind):
    body = sample("forwardemail", NAME).replace(b'"capacity"', f'"{category}"'.encode())
    assert ForwardEmail().parse(body, {})[0].type == kind


def test_it_verifies_the_vector_with_either_active_key():
    vec = vector("forwardemail", NAME)
    headers = CaseInsensitiveMapping(vec["headers"])
    body = sample("forwardemail", NAME)
    ForwardEmail().verify(body, headers, {}, {"key": vec["webhook_key"]})
    ForwardEmail().verify(
        body, headers, {}, {"key": "new-key", "previous_key": vec["webhook_key"]}
    )
    with pytest.raises(VerificationError):
        ForwardEmail().verify(body + b" ", headers, {}, {"key": vec["webhook_key"]})
    with pytest.raises(VerificationError):
        ForwardEmail().verify(
            body, CaseInsensitiveMapping({}), {}, {"key": vec["webhook_key"]}
        )
