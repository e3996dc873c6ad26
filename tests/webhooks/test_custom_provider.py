"""Custom provider, pure parts: the path resolver, the type mapping, the three auth modes."""

from __future__ import annotations

import base64
import json

import pytest

from tests.conftest import basic_auth
from webhooks.providers.base import PayloadError, VerificationError
from webhooks.providers.custom import (
    CustomProvider,
    expected_signature,
    map_type,
    resolve,
)
from webhooks.providers.custom_config import CUSTOM_DEFAULTS

DATA = {
    "events": [{"email": "a@x.org", "tags": ["t0", "t1"]}, {"email": "b@x.org"}],
    "n": 0,
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("", DATA),
        ("n", 0),
        ("events.0.email", "a@x.org"),
        ("events.1.email", "b@x.org"),
        ("events.-1.email", "b@x.org"),
        ("events.0.tags.1", "t1"),
        ("events.2.email", None),
        ("events.x.email", None),
        ("events.0.missing", None),
        ("n.deeper", None),
    ],
)
def test_it_resolves_dotted_paths_with_list_indexes(path, value):
    assert resolve(DATA, path) == value


def test_it_maps_event_types_exactly_then_case_insensitively():
    mapping = {
        "Bounce": "hard",
        "bounce": "soft",
        "spam": "complaint",
        "delay": "ignore",
    }
    assert map_type("Bounce", mapping) == "hard"
    assert map_type("bounce", mapping) == "soft"
    assert map_type("SPAM", mapping) == "complaint"
    assert map_type("delay", mapping) == "ignored"
    assert map_type("opened", mapping) == "ignored"


def endpoint(**changes) -> dict:
    return {
        **CUSTOM_DEFAULTS,
        "slug": "acme",
        "name": "Acme",
        "secret": "s3cret",
        **changes,
    }


BATCH = {
    "data": {
        "items": [
            {
                "id": "ev-1",
                "kind": "bounce",
                "rcpt": {"to": ["Jane@Example.com"]},
                "at": 1700000000000,
                "msg": "m-1",
            },
            {
                "id": "ev-2",
                "kind": "complaint",
                "rcpt": {"to": ["joe@example.com"]},
                "at": "2024-01-02T03:04:05Z",
            },
            {"id": "ev-3", "kind": "open", "rcpt": {"to": ["joe@example.com"]}},
        ]
    }
}
PATHS = {
    "batch_path": "data.items",
    "email_path": "rcpt.to",
    "type_path": "kind",
    "id_path": "id",
    "timestamp_path": "at",
    "message_id_path": "msg",
    "type_map": {"bounce": "hard", "complaint": "complaint"},
}


def test_it_parses_a_batch_with_the_configured_paths():
    events = CustomProvider(endpoint(**PATHS)).parse(json.dumps(BATCH).encode(), {})
    assert [(e.email, e.type, e.event_key, e.message_id) for e in events] == [
        ("jane@example.com", "hard", "ev-1", "m-1"),
        ("joe@example.com", "complaint", "ev-2", ""),
        ("joe@example.com", "ignored", "ev-3", ""),
    ]
    assert events[0].occurred_at.year == 2023  # epoch milliseconds
    assert events[1].occurred_at.isoformat() == "2024-01-02T03:04:05+00:00"


def test_it_reads_a_single_object_and_hashes_events_without_an_id():
    config = endpoint(email_path="who", type_path="what", type_map={"failed": "soft"})
    [a] = CustomProvider(config).parse(b'{"who": "x@y.org", "what": "failed"}', {})
    [b] = CustomProvider(config).parse(b'{"what": "failed", "who": "x@y.org"}', {})
    assert (a.type, a.email) == ("soft", "x@y.org")
    assert a.event_key == b.event_key  # same event, keys in another order


def test_it_refuses_payloads_the_paths_do_not_fit():
    provider = CustomProvider(endpoint(**PATHS))
    with pytest.raises(PayloadError):
        provider.parse(b'{"data": {}}', {})
    with pytest.raises(PayloadError):
        provider.parse(b'{"data": {"items": [1, 2]}}', {})
    with pytest.raises(PayloadError):
        provider.parse(b"not json", {})


BODY = b'{"email": "a@b.org", "event": "bounce"}'


@pytest.mark.parametrize("encoding", ["hex", "base64"])
def test_it_checks_hmac_signatures_hex_or_base64_with_a_prefix(encoding):
    config = endpoint(
        auth="hmac",
        signature_header="X-Sig",
        signature_encoding=encoding,
        signature_prefix="sha256=",
    )
    good = "sha256=" + expected_signature("s3cret", BODY, encoding)
    CustomProvider(config).verify(BODY, {"X-Sig": good}, {}, config)
    for bad in (
        "",
        expected_signature("s3cret", BODY, encoding),
        "sha256=" + expected_signature("nope", BODY, encoding),
    ):
        with pytest.raises(VerificationError):
            CustomProvider(config).verify(BODY, {"X-Sig": bad}, {}, config)
    with pytest.raises(VerificationError):
        CustomProvider(config).verify(BODY + b" ", {"X-Sig": good}, {}, config)


def test_it_checks_the_hex_signature_whatever_its_case_and_the_previous_secret():
    config = endpoint(
        auth="hmac", signature_header="X-Sig", secret="new", previous_secret="s3cret"
    )
    signature = expected_signature("s3cret", BODY, "hex").upper()
    CustomProvider(config).verify(BODY, {"X-Sig": signature}, {}, config)
    assert base64.b64decode(expected_signature("s3cret", BODY, "base64"))


def test_it_checks_basic_auth_and_bearer_tokens():
    basic = endpoint(auth="basic", username="acme")
    CustomProvider(basic).verify(
        BODY, {"Authorization": basic_auth("acme", "s3cret")}, {}, basic
    )
    with pytest.raises(VerificationError):
        CustomProvider(basic).verify(
            BODY, {"Authorization": basic_auth("acme", "nope")}, {}, basic
        )
    bearer = endpoint(auth="bearer")
    CustomProvider(bearer).verify(BODY, {"Authorization": "Bearer s3cret"}, {}, bearer)
    for bad in ("", "Bearer nope", "Basic s3cret", "s3cret"):
        with pytest.raises(VerificationError):
            CustomProvider(bearer).verify(BODY, {"Authorization": bad}, {}, bearer)


def test_it_refuses_everything_without_a_secret():
    config = endpoint(auth="bearer", secret="")
    with pytest.raises(VerificationError):
        CustomProvider(config).verify(BODY, {"Authorization": "Bearer "}, {}, config)
