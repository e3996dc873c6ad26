"""Issue 14 item 8: secrets never reach a log line, from the access log
(gunicorn) or the application (the console handler's filter)."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from stmails import log_redaction, runtime_logging
from stmails.config import update_settings
from stmails.gunicorn_logging import RedactingGunicornLogger
from stmails.log_redaction import redact

ROOT = Path(__file__).resolve().parents[2]
LOGGER_CLASS = "stmails.gunicorn_logging.RedactingGunicornLogger"
AZURE_SECRET = "Az-0b3c9f-shared-secret"


@pytest.fixture(autouse=True)
def forget_secrets():
    yield
    log_redaction.remember_secrets([])


@pytest.mark.parametrize(
    "line, hidden",
    [
        ("POST /webhooks/service/azure?code=Az0b3c HTTP/1.1", "Az0b3c"),
        ("GET /x?page=2&api_key=k-123&list_id=4", "k-123"),
        ("GET /x?Token=t0k3n", "t0k3n"),
        ("GET /x?a=1&client_secret=s3c;b=2", "s3c"),
        ("GET /x?signature=abc%2Bdef", "abc%2Bdef"),
        ("GET /x?password=hunter2&key=kk1", "hunter2"),
        ("GET /x?x-functions-key=fk1", "fk1"),
        ("url=https://h/hook?sig=zz9 sent", "zz9"),
    ],
)
def test_secret_query_parameters_are_redacted(line, hidden):
    clean = redact(line)
    assert hidden not in clean
    assert "[redacted]" in clean


def test_other_parameters_and_paths_stay_as_they_are():
    line = "GET /api/settings/bounce.key_rotation?page=2&query=code&list_id=4 HTTP/1.1"
    assert redact(line) == line


@pytest.fixture
def console():
    """The console handler (settings.LOGGING) writing into a buffer."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    yield handler, buffer
    handler.setStream(old)


@pytest.mark.django_db
def test_application_logs_hide_query_secrets_and_configured_secrets(console):
    handler, buffer = console
    update_settings({"bounce.azure": {"enabled": True, "shared_secret": AZURE_SECRET}})
    runtime_logging.sync_from_settings(force=True)
    log = logging.getLogger("webhooks.test")

    log.warning("delivery to %s", "https://h/webhooks/service/azure?code=abc123")
    log.warning("header said %s", AZURE_SECRET)
    log.warning("extra", extra={"url": f"https://h/?x={AZURE_SECRET}"})
    try:
        raise ValueError(f"refused https://h/in?token=tt99 {AZURE_SECRET}")
    except ValueError:
        log.exception("failed")

    text = buffer.getvalue()
    assert "abc123" not in text and "tt99" not in text
    assert AZURE_SECRET not in text
    assert text.count("[redacted]") >= 4
    assert "ValueError" in text  # the traceback is kept, cleaned


@pytest.mark.django_db
def test_json_log_lines_are_redacted_too(console):
    handler, buffer = console
    update_settings({"bounce.azure": {"enabled": True, "shared_secret": AZURE_SECRET}})
    runtime_logging.sync_from_settings(force=True)
    runtime_logging.apply("INFO", True)
    try:
        logging.getLogger("webhooks.test").warning(
            "x", extra={"target": f"/hook?code={AZURE_SECRET}"}
        )
    finally:
        runtime_logging.apply("INFO", False)
    line = json.loads(buffer.getvalue().strip().splitlines()[-1])
    assert line["target"] == "/hook?code=[redacted]"


def test_the_gunicorn_access_log_hides_secrets(tmp_path):
    access = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(access))
    logger = RedactingGunicornLogger(cfg)
    request = SimpleNamespace(
        headers=[("REFERER", "https://x/?token=ref-secret")], method="POST"
    )
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": "/webhooks/service/azure?code=Az0b3c",
        "PATH_INFO": "/webhooks/service/azure",
        "QUERY_STRING": "code=Az0b3c",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.1",
        "HTTP_REFERER": "https://x/?token=ref-secret",
    }
    response = SimpleNamespace(status="200 OK", sent=2, headers=[], response_length=2)
    logger.access(response, request, environ, __import__("datetime").timedelta(0))
    for handler in logger.access_log.handlers:
        handler.flush()
    line = access.read_text()
    assert "/webhooks/service/azure?code=[redacted]" in line
    assert "Az0b3c" not in line and "ref-secret" not in line


def test_every_launcher_uses_the_redacting_logger():
    for path in ("bin/run", "Dockerfile", "docker-compose.yml"):
        assert LOGGER_CLASS in (ROOT / path).read_text(), path


def test_a_real_gunicorn_writes_no_secret_to_its_access_log(tmp_path):
    """The launchers' option, with gunicorn itself (a one-line WSGI app)."""
    (tmp_path / "tiny_app.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'ok']\n"
    )
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [
            sys.executable, "-m", "gunicorn", "tiny_app:app",
            "--bind", f"127.0.0.1:{port}", "--workers", "1",
            "--access-logfile", "-", "--logger-class", LOGGER_CLASS,
            "--pythonpath", f"{tmp_path},{ROOT}", "--no-control-socket",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/webhooks/service/azure?code=Az0b3c&n=1"
        for _ in range(300):  # until it listens; no assertion depends on timing
            try:
                with urllib.request.urlopen(url) as response:  # noqa: S310 (local)
                    assert response.read() == b"ok"
                break
            except OSError:
                time.sleep(0.1)
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert "/webhooks/service/azure?code=[redacted]&n=1" in output, output
    assert "Az0b3c" not in output
