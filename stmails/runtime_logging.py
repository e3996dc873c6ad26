"""The log level and format, set from Settings → Logging at run time.

Every process (web, worker, beat) reads `logging.level` and `logging.json`
at most every SYNC_SECONDS (at the start of a request or a task, and when
it logs a line: SyncFilter), and applies
them to the root logger and the console handler: a change takes effect within
seconds everywhere, with no restart. The same read refreshes the configured
secrets that stmails.log_redaction hides from every line. Until an admin saves the page, the
LOG_LEVEL variable (settings.LOG_LEVEL) is the level.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError

from stmails import log_redaction

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SYNC_SECONDS = 5.0

# Attributes every LogRecord has; anything else came from `extra=` and is
# worth a field of its own in a JSON line.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()) | {
    "message",
    "asctime",
    "taskName",
}

_lock = threading.Lock()
_state: dict[str, Any] = {"checked": float("-inf")}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                line[name] = value if _is_json(value) else repr(value)
        if record.exc_info or record.exc_text:
            # exc_text when set: RedactSecretsFilter has already cleaned it.
            line["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def _is_json(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | type(None))


def _console_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if h.name == "console"]


def apply(level: str, as_json: bool) -> None:
    """Set the root logger's level and the console format in this process.

    The console handler's formatter is swapped only when the format changes:
    a formatter that chose per line cost a fifth of POST /webhooks/bounce's
    throughput under gunicorn (bench/bench_bounce_webhook.py).
    """
    logging.getLogger().setLevel(level if level in LEVELS else settings.LOG_LEVEL)
    for handler in _console_handlers():
        if as_json and not isinstance(handler.formatter, JsonFormatter):
            handler.setFormatter(JsonFormatter())
        elif not as_json and isinstance(handler.formatter, JsonFormatter):
            # Back to the plain format settings.LOGGING starts with.
            plain = settings.LOGGING["formatters"]["plain"]["format"]
            handler.setFormatter(logging.Formatter(plain))


def sync_from_settings(*, force: bool = False) -> None:
    """Apply the stored settings, at most every SYNC_SECONDS unless forced."""
    now = time.monotonic()
    if not force and now - _state["checked"] < SYNC_SECONDS:
        return
    with _lock:
        if not force and now - _state["checked"] < SYNC_SECONDS:
            return
        _state["checked"] = now
    from stmails import config
    from stmails.config import unused

    try:
        values = config.get_values("logging.level", "logging.json")
    except DatabaseError:
        # No database yet (first migrate) or a broken connection: keep the
        # current level rather than fail the request that asked.
        return
    apply(values["logging.level"], values["logging.json"])
    try:
        log_redaction.remember_secrets(config.secret_values() + unused.stored_secrets())
    except DatabaseError:
        return


class SyncFilter(logging.Filter):
    """On the console handler: any process that logs (the worker's main
    process, beat) picks up a change too, not only requests and tasks."""

    def filter(self, record: logging.LogRecord) -> bool:
        from django.db import connection

        # Only the main thread: any other thread would open a database
        # connection of its own that nothing ever closes (SMTP and HTTP server
        # threads, Celery's timer). Never inside a transaction: a failed read (no
        # settings table during the first migrate) would break it on PostgreSQL.
        if (
            threading.current_thread() is threading.main_thread()
            and not connection.in_atomic_block
        ):
            try:
                sync_from_settings()
            except Exception:  # noqa: S110 (logging must never raise)
                pass
        return True


class RuntimeLoggingMiddleware:
    """Syncs the log settings before each request (cheap: throttled)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sync_from_settings()
        return self.get_response(request)
