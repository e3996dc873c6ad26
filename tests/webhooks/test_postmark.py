"""Postmark: classification, basic auth with rotation, 403 stops retries."""

from __future__ import annotations

import pytest
from django.utils.datastructures import CaseInsensitiveMapping

from tests.conftest import basic_auth
from webhooks.providers.base import PayloadError, VerificationError
from webhooks.providers.postmark import Postmark

from .conftest import as_expected, expected, outcome, sample, samples

CONFIG = {
    "username": "pm",
    "password": "s3cret",
    "previous_username": "",
    "previous_password": "",
}


@pytest.mark.parametrize("name", samples("postmark"))
def test_it_parses_each_sample_as_expected(name):
    events = Postmark().parse(sample("postmark", name), CaseInsensitiveMapping({}))
    assert outcome(events) == as_expected(expected("postmark", name))


def test_it_keys_events_by_record_type_and_id():
    (event,) = Postmark().parse(sample("postmark", "hard_bounce_anymail"), {})
    assert event.event_key == "Bounce:901542550"
    assert event.status == "5.1.1"


def test_it_logs_and_ignores_unknown_bounce_types():
    body = sample("postmark", "hard_bounce_anymail").replace(
        b'"HardBounce"', b'"SomethingNew"'
    )
    (event,) = Postmark().parse(body, {})
    assert event.type == "ignored"


def verify(auth: str | None, config=CONFIG):
    headers = CaseInsensitiveMapping({"Authorization": auth} if auth else {})
    Postmark().verify(b"{}", headers, {}, config)


def test_it_accepts_the_configured_pair():
    verify(basic_auth("pm", "s3cret"))


@pytest.mark.parametrize(
    "auth",
    [
        None,
        basic_auth("pm", "wrong"),
        basic_auth("other", "s3cret"),
        "Bearer s3cret",
        "Basic !!",
    ],
)
def test_it_refuses_with_403(auth):
    with pytest.raises(VerificationError) as e:
        verify(auth)
    assert e.value.status == 403


def test_it_accepts_the_previous_password_while_rotating():
    config = {**CONFIG, "password": "new", "previous_password": "s3cret"}
    verify(basic_auth("pm", "s3cret"), config)
    verify(basic_auth("pm", "new"), config)


def test_it_fails_closed_without_a_configured_password():
    with pytest.raises(VerificationError):
        verify(basic_auth("", ""), {"username": "", "password": ""})


def test_it_reads_the_older_bounce_format_without_record_type():
    (event,) = Postmark().parse(
        sample("postmark", "legacy_hard_bounce_no_record_type_DERIVED"), {}
    )
    assert (event.type, event.email, event.status) == (
        "hard",
        "bounce@example.com",
        "5.1.1",
    )
    assert event.event_key == "Bounce:901542560"


def test_it_reads_the_type_code_when_the_type_name_is_missing():
    (event,) = Postmark().parse(
        sample("postmark", "legacy_typecode_only_soft_DERIVED"), {}
    )
    assert event.type == "soft"


def test_a_body_without_record_type_or_known_type_is_refused():
    for body in (b'{"Email": "a@example.com"}', b'{"Type": "Nope", "TypeCode": 7}'):
        with pytest.raises(PayloadError) as e:
            Postmark().parse(body, {})
        assert "RecordType" in str(e.value)
