"""Real listmonk client libraries against a live stmails (pytest-django's
threaded live_server): the PyPI `listmonk` client in this process, the PyPI
`klarient-listmonk` client and the npm `listmonk` client in child processes.

klarient-listmonk's package is also named `listmonk`: it cannot share an
interpreter (or a virtualenv) with the PyPI `listmonk` client, so it is
installed with `pip --target` into var/clients/ and run by a driver script
(tests/clients/klarient/driver.py) with that folder on PYTHONPATH. The npm
client is installed with `npm ci` from tests/clients/node/'s lock file into
var/clients/ as well; both installs are cached there, keyed by the hash of
what pins them. A missing tool, package or registry skips the tests, except
under CI=true, where it fails them (a skip would hide it).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from stmails.services import create_api_user

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CACHE = REPO / "var" / "clients"
NODE_DIR = HERE / "node"
KLARIENT_DIR = HERE / "klarient"
# Installs and client runs that take longer than this are failures, not waits.
INSTALL_TIMEOUT = 300
RUN_TIMEOUT = 120


def require(ok: bool, message: str) -> None:
    """Skip when a tool or package is missing, but fail under CI=true."""
    if ok:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: missing tools fail the run)")
    pytest.skip(message)


@dataclass(frozen=True)
class LiveApi:
    """A live stmails and an API user's credentials (listmonk's BasicAuth)."""

    url: str
    username: str
    token: str

    def env(self) -> dict[str, str]:
        """The credentials for a child process: in its environment, never on
        its command line (where `ps` shows them)."""
        return {
            **os.environ,
            "LISTMONK_URL": self.url,
            "LISTMONK_USER": self.username,
            "LISTMONK_TOKEN": self.token,
        }


@pytest.fixture
def live_api(live_server) -> LiveApi:
    # A live server's tests flush the tables between tests, the shipped
    # templates (a data migration) with them: put them back, as a fresh
    # install has them (listmonk's clients expect a default template).
    from django.apps import apps

    shipped = importlib.import_module("campaigns.migrations.0009_template_defaults")
    shipped.add_defaults(apps, None)
    user, token = create_api_user("client-bot")
    return LiveApi(live_server.url, user.name, token)


def _key(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _install(
    target: Path, ready: Path, command: list[str], package_files: Path | None
) -> str:
    """Run an install into a scratch folder and move it into place, so an
    interrupted install is never taken for a finished one. '' when done,
    else what went wrong."""
    if ready.exists():
        return ""
    scratch = target.with_name(target.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    if package_files is not None:  # npm ci installs what the lock file pins, here
        for name in ("package.json", "package-lock.json"):
            shutil.copy(package_files / name, scratch / name)
    command = [part.replace("{scratch}", str(scratch)) for part in command]
    try:
        done = subprocess.run(
            command,
            cwd=scratch,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"{command[0]} failed: {err}"
    if done.returncode != 0:
        return f"{' '.join(command[:3])} failed: {(done.stderr or done.stdout)[-800:]}"
    shutil.rmtree(target, ignore_errors=True)
    scratch.rename(target)
    return ""


def node_client() -> Path:
    """The folder holding the npm client (node_modules) and script.mjs."""
    node, npm = shutil.which("node"), shutil.which("npm")
    require(bool(node and npm), "node and npm are not installed (Node 20)")
    target = CACHE / (
        "node-" + _key(NODE_DIR / "package.json", NODE_DIR / "package-lock.json")
    )
    problem = _install(
        target,
        target / "node_modules" / "listmonk" / "package.json",
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
        NODE_DIR,
    )
    require(not problem, f"the npm listmonk client could not be installed: {problem}")
    # ESM resolves `listmonk` from the script's own folder upwards.
    shutil.copy(NODE_DIR / "script.mjs", target / "script.mjs")
    return target


def klarient_client() -> Path:
    """The folder (for PYTHONPATH) holding klarient-listmonk and its dependencies."""
    requirements = KLARIENT_DIR / "requirements.txt"
    target = CACHE / ("klarient-" + _key(requirements))
    problem = _install(
        target,
        target / "listmonk" / "client.py",
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--target",
            "{scratch}",
            "-r",
            str(requirements),
        ],
        None,
    )
    require(not problem, f"klarient-listmonk could not be installed: {problem}")
    return target


def run_json(command: list[str], api: LiveApi, extra_env: dict[str, str]) -> dict:
    """Run a client script and read the JSON object it prints last."""
    done = subprocess.run(
        command,
        env={**api.env(), **extra_env},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and lines, (
        f"{command[1]} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    )
    return json.loads(lines[-1])


@pytest.fixture
def node_run(live_api):
    """node_run(scenario, **args) runs one scenario of script.mjs with the npm
    client against the live server and returns its JSON answer."""
    folder = node_client()

    def run(scenario: str, **args) -> dict:
        return run_json(
            [shutil.which("node"), str(folder / "script.mjs"), scenario],
            live_api,
            {"SCENARIO_ARGS": json.dumps(args)},
        )

    return run


@pytest.fixture
def klarient_run(live_api):
    """klarient_run(scenario, **args) runs one scenario of klarient/driver.py
    against the live server and returns its JSON answer."""
    folder = klarient_client()

    def run(scenario: str, **args) -> dict:
        return run_json(
            [sys.executable, str(KLARIENT_DIR / "driver.py"), scenario],
            live_api,
            {"PYTHONPATH": str(folder), "SCENARIO_ARGS": json.dumps(args)},
        )

    return run


@pytest.fixture
def pypi_listmonk(live_api):
    """The PyPI `listmonk` module, pointed at the live server and logged in
    (its state is module-global: every test sets it again)."""
    try:
        import listmonk
    except ImportError:
        listmonk = None
    require(
        listmonk is not None,
        "the PyPI listmonk client is not installed (pip install -e '.[dev]')",
    )
    listmonk.set_url_base(live_api.url)
    assert listmonk.login(live_api.username, live_api.token) is True
    return listmonk
