"""manage.py parse_webhook: the events a payload would produce, as scripts read them."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from webhooks import parse_cli
from webhooks.providers.registry import PROVIDERS

from .conftest import FIXTURES, as_expected, expected

ROOT = Path(__file__).resolve().parents[2]

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


def test_the_shell_gets_the_summary_from_stdin_and_errors_on_stderr(monkeypatch):
    body = (FIXTURES / "postmark" / "hard_bounce_anymail.json").read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(body)))
    out, err = io.StringIO(), io.StringIO()
    assert parse_cli.run("postmark", "-", [], False, out, err) == 0
    assert out.getvalue().split() == [
        "hard",
        "bounce@example.com",
        "2706ee8a-737c-4285-b032-ccd317af53ed",
    ]
    out, err = io.StringIO(), io.StringIO()
    assert parse_cli.run("nope", "-", [], False, out, err) == 1
    assert out.getvalue() == ""
    assert err.getvalue().startswith("CommandError: unknown provider 'nope'")


# Imported only by a Django process (settings, app registry, ORM, commands) or
# by the Celery app: manage.py parse_webhook must start without any of them.
HEAVY = (
    "stmails.settings",
    "django.apps",
    "django.db.models",
    "django.core.management",
    "stmails.models",
    "stmails.celery",
    "celery",
    "kombu",
)
HEAVY_PACKAGES = tuple(f"{name}." for name in HEAVY)
# manage.py as the shell runs it; on exit, the names of every module it imported.
PROBE = """
import atexit, json, pathlib, runpy, sys
out = pathlib.Path(sys.argv.pop(1))
atexit.register(lambda: out.write_text(json.dumps(sorted(sys.modules))))
sys.argv[0] = "manage.py"
runpy.run_path("manage.py", run_name="__main__")
"""


def test_manage_py_runs_it_without_django_settings_the_orm_or_celery(tmp_path):
    listing = tmp_path / "modules.json"
    sample = FIXTURES / "postmark" / "hard_bounce_anymail.json"
    # No settings module and no keys: loading the settings would fail.
    env = {"PATH": os.environ["PATH"], "STMAILS_VAR_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(listing),
         "parse_webhook", "postmark", str(sample), "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["events"][0]["email"] == "bounce@example.com"
    modules = json.loads(listing.read_text())
    assert "webhooks.providers.postmark" in modules  # the probe saw the run
    assert [m for m in modules if m in HEAVY or m.startswith(HEAVY_PACKAGES)] == []
