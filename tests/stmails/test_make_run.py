"""`make run`'s launcher (bin/run) on a fresh var/: web, worker and beat come up on
the embedded defaults, a second start is refused, and Ctrl-C leaves nothing behind.
"""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "bin" / "run"

# What the caller would set; the launcher must work with none of them.
CLEARED = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "SECRET_KEY",
    "SECRET_KEY_FILE",
    "STMAILS_ENCRYPTION_KEY",
    "STMAILS_ENCRYPTION_KEY_FILE",
    "CELERY_TASK_ALWAYS_EAGER",
    "DJANGO_SETTINGS_MODULE",
    "BIND",
)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str) -> tuple[int, dict, str]:
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    pytest.fail(f"timed out after {seconds}s waiting for {what}")


def processes_with(marker: str) -> list[int]:
    """Live processes whose environment holds marker (our STMAILS_VAR_DIR)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                status = (entry / "status").read_text()
                if "\nState:\tZ" not in status:
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def start(env: dict, log: Path) -> subprocess.Popen:
    def child_setup() -> None:
        # A session of its own, like a terminal's foreground job; and Ctrl-C
        # handled even if this test runs with SIGINT ignored (a background job).
        os.setsid()
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    with log.open("wb") as out:
        return subprocess.Popen(
            [str(RUN)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=child_setup,
        )


@pytest.fixture
def launcher_env(tmp_path):
    if not (ROOT / ".venv" / "bin" / "gunicorn").exists():
        pytest.skip("bin/run needs the project's .venv (make install)")
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env["STMAILS_VAR_DIR"] = str(tmp_path / "var")
    env["PORT"] = str(free_port())
    env["WEB_CONCURRENCY"] = "1"
    env["CELERY_CONCURRENCY"] = "1"
    return env


def test_it_runs_web_worker_and_beat_then_stops_them_all(launcher_env, tmp_path):
    var = Path(launcher_env["STMAILS_VAR_DIR"])
    base = f"http://127.0.0.1:{launcher_env['PORT']}"
    log = tmp_path / "run.log"
    proc = start(launcher_env, log)
    try:

        def first_page():
            try:
                return fetch(base + "/")
            except OSError:
                assert proc.poll() is None, log.read_text()
                return None

        status, headers, _ = wait_until(first_page, 90, "the web server")
        assert (status, headers["Location"]) == (302, "/setup")
        status, _, body = fetch(base + "/setup")
        assert status == 200
        assert "Create the admin account" in body
        status, headers, _ = fetch(base + "/static/css/app.css")
        assert (status, headers["Content-Type"].split(";")[0]) == (200, "text/css")

        wait_until(
            lambda: " ready." in (var / "log" / "worker.log").read_text(),
            60,
            "the worker",
        )
        wait_until(
            lambda: " ready." in (var / "log" / "scans.log").read_text(),
            60,
            "the scan worker",
        )
        assert "scans" in (var / "log" / "scans.log").read_text()
        for lane in ("campaigns", "imports"):
            wait_until(
                lambda lane=lane: (
                    " ready." in (var / "log" / f"{lane}.log").read_text()
                ),
                60,
                f"the {lane} worker",
            )
        wait_until(
            lambda: "beat: Starting" in (var / "log" / "beat.log").read_text(),
            60,
            "beat",
        )
        assert "filesystem://" in (var / "log" / "worker.log").read_text()
        assert (var / "stmails.sqlite3").exists()
        for name in ("secret_key", "encryption_key"):
            assert stat.S_IMODE((var / name).stat().st_mode) == 0o600
        secret = (var / "secret_key").read_text()

        second = subprocess.run(
            [str(RUN)],
            cwd=ROOT,
            env=launcher_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode == 1
        assert "already running" in second.stderr
        assert len(second.stderr.strip().splitlines()) == 1
        assert (var / "secret_key").read_text() == secret
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise

    output = log.read_text()
    assert proc.returncode == 0, output
    assert "stmails: stopped" in output
    # Nothing it started survives it: no gunicorn, Celery or logger process left.
    assert wait_until(
        lambda: not processes_with(str(var)) or None, 10, "the processes to end"
    )
