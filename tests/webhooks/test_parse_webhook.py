"""manage.py parse_webhook: the events a payload would produce, as scripts read them."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from webhooks.providers.registry import PROVIDERS

from .conftest import FIXTURES, as_expected, expected

SAMPLES = [
    (p.parent.name, p.name[: -len(".expected.json")])
    for p in sorted(FIXTURES.glob("*/*.expected.json"))
    if p.parent.name in PROVIDERS
]


def run(*args) -> tuple[dict, int]:
    out = io.StringIO()
    try:
        call_command("parse_webhook", *args, "--json", stdout=out)
        code = 0
    except SystemExit as e:
        code = e.code
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0]), code


@pytest.mark.parametrize(("provider", "name"), SAMPLES, ids=lambda v: str(v))
def test_it_prints_each_samples_expected_events(provider, name):
    result, code = run(provider, str(FIXTURES / provider / f"{name}.json"))
    assert code == 0
    assert result == {"events": as_expected(expected(provider, name)), "error": None}


def test_it_has_samples_of_every_provider():
    assert set(PROVIDERS) <= {p for p, _ in SAMPLES}


def test_it_reports_a_malformed_payload_as_one_json_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    result, code = run("postmark", str(bad))
    assert code == 1
    assert result == {"events": [], "error": "the body is not valid JSON"}


def test_it_takes_headers(tmp_path):
    result, code = run(
        "sendgrid",
        str(FIXTURES / "sendgrid" / "bounce_anymail.json"),
        "--header",
        "X-Twilio-Email-Event-Webhook-Timestamp: 1",
    )
    assert code == 0 and result["events"][0]["type"] == "hard"


def test_it_refuses_an_unknown_provider_and_a_bad_header():
    with pytest.raises(CommandError, match="unknown provider 'nope'"):
        call_command("parse_webhook", "nope", "x")
    with pytest.raises(CommandError, match="use 'Name: value'"):
        call_command("parse_webhook", "ses", "x", "--header", "novalue")


def test_it_says_when_the_file_is_missing(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("parse_webhook", "ses", str(tmp_path / "missing.json"))
