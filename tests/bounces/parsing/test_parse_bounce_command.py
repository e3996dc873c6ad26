"""python manage.py parse_bounce: what stmails would record, without the database."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "bounces"
POSTFIX = str(CORPUS / "postfix_user_unknown_stmails_headers.eml")
VACATION = str(CORPUS / "autoreply_vacation.eml")


def _run(*args: str, stdin: bytes | None = None, monkeypatch=None) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        fake = io.TextIOWrapper(io.BytesIO(stdin))
        monkeypatch.setattr("sys.stdin", fake)
    call_command("parse_bounce", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_prints_one_json_line_per_file():
    out, _ = _run("--json", POSTFIX, VACATION)
    first, second = (json.loads(line) for line in out.splitlines())
    assert first == {
        "file": POSTFIX,
        "events": [
            {
                "email": "alice@example.com",
                "type": "hard",
                "status": "5.1.1",
                "reason": "userunknown",
                "diagnostic": "550 5.1.1 <alice@example.com>: Recipient address rejected: "
                "User unknown in virtual mailbox table",
                "subscriber_uuid": "d2b5a6f4-3c1e-4f7a-9b8e-1a2b3c4d5e6f",
                "campaign_uuid": "7f3e2d1c-0b9a-4876-a5b4-c3d2e1f0a9b8",
                "message_id": "<20240301.a1@lists.example.org>",
            }
        ],
        "error": None,
    }
    assert second == {"file": VACATION, "events": [], "error": None}


def test_it_reads_standard_input(monkeypatch):
    raw = (CORPUS / "rfc5965_abuse.eml").read_bytes()
    out, _ = _run("--json", "-", stdin=raw, monkeypatch=monkeypatch)
    line = json.loads(out)
    assert line["file"] == "-"
    assert [(e["email"], e["type"]) for e in line["events"]] == [
        ("user@example.com", "complaint")
    ]


def test_it_prints_a_readable_summary():
    out, _ = _run(POSTFIX, VACATION)
    assert f"{POSTFIX}: dsn, 1 event(s) to record" in out
    assert "  - alice@example.com: hard 5.1.1 (userunknown)" in out
    assert "      subscriber: d2b5a6f4-3c1e-4f7a-9b8e-1a2b3c4d5e6f" in out
    assert f"{VACATION}: auto-reply, nothing to record" in out


def test_it_reports_an_unreadable_file_and_still_does_the_others(tmp_path):
    missing = str(tmp_path / "missing.eml")
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"1 of 2 file\(s\) could not be read"):
        call_command("parse_bounce", "--json", missing, POSTFIX, stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0] == {
        "file": missing,
        "events": [],
        "error": "cannot read file: No such file or directory",
    }
    assert lines[1]["events"][0]["email"] == "alice@example.com"


def test_it_gives_a_parse_error_for_an_empty_file(tmp_path):
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    out, _ = _run("--json", str(empty))
    assert json.loads(out) == {
        "file": str(empty),
        "events": [],
        "error": "empty message",
    }


def test_it_exits_non_zero_from_the_shell_for_a_missing_file(tmp_path):
    import subprocess
    import sys

    manage = Path(__file__).resolve().parents[3] / "manage.py"
    proc = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [
            sys.executable,
            str(manage),
            "parse_bounce",
            "--json",
            str(tmp_path / "nope"),
            POSTFIX,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert [json.loads(line)["file"] for line in proc.stdout.splitlines()] == [
        str(tmp_path / "nope"),
        POSTFIX,
    ]
