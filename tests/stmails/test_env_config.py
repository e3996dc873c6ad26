"""Bad environment values stop `manage.py` with one readable line, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyYnl0ZXM="
# One manage.py process per case: about 80 s in all.
pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path):
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")
    base = {k: v for k, v in os.environ.items() if k in keep}
    base.update(
        SECRET_KEY="a-valid-secret-key-of-at-least-32-characters!",
        STMAILS_ENCRYPTION_KEY=GOOD_KEY,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STMAILS_VAR_DIR=str(tmp_path),
        CACHE_URL="locmem://",
    )
    return base


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_it_passes_check_with_good_values(env):
    r = manage(env, "check")
    assert r.returncode == 0, r.stderr
    assert "configuration error" not in r.stderr


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 32 characters"),
        (
            {"SECRET_KEY": None, "SECRET_KEY_FILE": "/nonexistent/key"},
            "SECRET_KEY_FILE",
        ),
        (
            {"STMAILS_ENCRYPTION_KEY": "not-a-fernet-key"},
            "STMAILS_ENCRYPTION_KEY must be",
        ),
        ({"STMAILS_ENCRYPTION_KEY": None}, "STMAILS_ENCRYPTION_KEY is not set"),
        (
            {"DATABASE_URL": "mysql://u:p@db/stmails"},
            "DATABASE_URL: unsupported scheme",
        ),
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"ROOT_URL": "ftp://example.com"}, "ROOT_URL="),
        ({"CELERY_BROKER_URL": "amqp://x"}, "CELERY_BROKER_URL="),
        ({"STMAILS_MAX_UPLOAD_MB": "lots"}, "STMAILS_MAX_UPLOAD_MB="),
    ],
)
def test_it_fails_with_one_line_naming_the_variable(env, changes, variable):
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    r = manage(env, "check")
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("stmails: configuration error: ")
    assert variable in lines[0]
    assert "Traceback" not in r.stderr + r.stdout


def test_it_reads_secrets_from_files(env, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("a-valid-secret-key-from-a-file-0123456789\n")
    env.pop("SECRET_KEY")
    env["SECRET_KEY_FILE"] = str(secret)
    assert manage(env, "check").returncode == 0


def test_it_exits_non_zero_with_one_line_on_a_bad_api_user_name(env):
    r = manage(env, "create_api_user", "--skip-checks", "has space")
    assert r.returncode != 0
    assert r.stdout == ""
    assert r.stderr.strip().splitlines() == [
        "CommandError: name: use 1-100 characters, no spaces or colons"
    ]


def test_it_finds_the_keys_make_run_generated_in_the_var_dir(env, tmp_path):
    # What bin/run writes on the first start; a later manage.py with no key
    # variables set must use exactly these, or stored passwords turn unreadable.
    (tmp_path / "secret_key").write_text("k" * 50 + "\n")
    (tmp_path / "encryption_key").write_text(GOOD_KEY + "\n")
    del env["SECRET_KEY"], env["STMAILS_ENCRYPTION_KEY"]
    r = manage(
        env,
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings; "
        "print(settings.SECRET_KEY, settings.STMAILS_ENCRYPTION_KEYS[0].decode())",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["k" * 50, GOOD_KEY]


def test_a_missing_encryption_key_never_suggests_making_a_new_one(env):
    del env["STMAILS_ENCRYPTION_KEY"]
    r = manage(env, "check")
    assert r.returncode != 0
    message = r.stderr.lower()
    assert "encryption_key" in message
    for advice in ("urandom", "generate", "make one", "new key"):
        assert advice not in message


FIXTURES = ROOT / "tests" / "fixtures"


@pytest.mark.parametrize(
    "args",
    [
        ["parse_bounce", str(FIXTURES / "bounces" / "dsn_null_mx.eml")],
        [
            "parse_webhook",
            "postmark",
            str(FIXTURES / "webhooks" / "postmark" / "hard_bounce_anymail.json"),
        ],
    ],
)
def test_parsers_run_with_no_keys_at_all(env, args):
    del env["SECRET_KEY"], env["STMAILS_ENCRYPTION_KEY"]
    r = manage(env, *args)
    assert r.returncode == 0, r.stderr
    assert "configuration error" not in r.stderr
    assert "@" in r.stdout  # it printed the bounced address


def test_a_keyless_command_stays_keyless_only_for_the_parsers(env):
    del env["SECRET_KEY"], env["STMAILS_ENCRYPTION_KEY"]
    r = manage(env, "check")
    assert r.returncode != 0
    assert "SECRET_KEY is not set" in r.stderr


@pytest.mark.parametrize(
    ("launcher", "root_url"),
    [
        ({}, "http://127.0.0.1:9000"),
        ({"PORT": "9101"}, "http://127.0.0.1:9101"),
        ({"BIND": "0.0.0.0:9102"}, "http://127.0.0.1:9102"),
        (
            {"BIND": "mail.example.org:8080", "PORT": "9101"},
            "http://mail.example.org:8080",
        ),
        (
            {"PORT": "9101", "ROOT_URL": "https://lists.example.org"},
            "https://lists.example.org",
        ),
    ],
)
def test_the_default_root_url_follows_where_make_run_listens(env, launcher, root_url):
    env.update(launcher)
    r = manage(
        env,
        "shell",
        "--verbosity=0",
        "-c",
        "from stmails.config import REGISTRY; print(REGISTRY['app.root_url'].default)",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == root_url
