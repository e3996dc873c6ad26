"""Settings → Logging: level and JSON lines changed at run time, no restart."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.conf import settings

from stmails import config, runtime_logging
from stmails.models import SettingsChange
from stmails.tasks import record_beat_heartbeat


@pytest.fixture(autouse=True)
def restore_logging():
    """Put the process's logging back as settings.LOGGING made it."""
    root = logging.getLogger()
    [console] = runtime_logging._console_handlers()
    level, formatter = root.level, console.formatter
    runtime_logging._state["checked"] = float("-inf")
    yield
    root.setLevel(level)
    console.setFormatter(formatter)
    runtime_logging._state["checked"] = float("-inf")


def console_output(record_maker) -> str:
    """What the console handler's formatter (from settings.LOGGING) prints."""
    [handler] = [h for h in logging.getLogger().handlers if h.name == "console"]
    stream = io.StringIO()
    probe = logging.StreamHandler(stream)
    probe.setFormatter(handler.formatter)
    logger = logging.getLogger("stmails.test_probe")
    logger.addHandler(probe)
    logger.propagate = False
    try:
        record_maker(logger)
    finally:
        logger.removeHandler(probe)
        logger.propagate = True
    return stream.getvalue()


def test_the_settings_page_sets_the_level_in_the_running_process(client_alice):
    assert logging.getLogger().level == logging.getLevelName(settings.LOG_LEVEL)
    r = client_alice.post(
        "/settings/logging", {"logging__level": "DEBUG", "logging__json": ""}
    )
    assert r.status_code == 302
    # The next request (middleware) applies it: no restart.
    runtime_logging._state["checked"] = float("-inf")
    client_alice.get("/settings/logging")
    assert logging.getLogger().level == logging.DEBUG
    change = SettingsChange.objects.get(key="logging.level")
    assert (change.actor, change.new_value) == ("alice", "DEBUG")


def test_the_page_refuses_an_unknown_level_beside_the_field(client_alice):
    r = client_alice.post("/settings/logging", {"logging__level": "LOUD"})
    assert r.status_code == 400
    assert "Select a valid choice. LOUD is not one of" in r.content.decode()
    assert config.get_value("logging.level") == settings.LOG_LEVEL


def test_sync_is_throttled_and_forced(db):
    runtime_logging.sync_from_settings(force=True)
    config.update_settings({"logging.level": "ERROR"})
    runtime_logging.sync_from_settings()  # within SYNC_SECONDS: not read again
    assert logging.getLogger().level != logging.ERROR
    runtime_logging.sync_from_settings(force=True)
    assert logging.getLogger().level == logging.ERROR


def test_a_celery_task_syncs_the_level_before_it_runs(db):
    config.update_settings({"logging.level": "WARNING"})
    runtime_logging._state["checked"] = float("-inf")
    record_beat_heartbeat.delay()  # eager here; task_prerun fires all the same
    assert logging.getLogger().level == logging.WARNING


def test_json_lines_carry_time_level_logger_message_and_extras(db):
    config.update_settings({"logging.json": True})
    runtime_logging.sync_from_settings(force=True)
    out = console_output(
        lambda log: log.warning("scan of %s failed", "box", extra={"mailbox": "box"})
    )
    line = json.loads(out.strip())
    assert line["level"] == "WARNING"
    assert line["logger"] == "stmails.test_probe"
    assert line["message"] == "scan of box failed"
    assert line["mailbox"] == "box"
    assert line["time"].endswith("+00:00")

    config.update_settings({"logging.json": False})
    runtime_logging.sync_from_settings(force=True)
    plain = console_output(lambda log: log.warning("plain again"))
    assert plain.strip().endswith("WARNING stmails.test_probe plain again")


def test_json_lines_keep_the_traceback(db):
    runtime_logging.apply("INFO", True)

    def boom(log):
        try:
            raise ValueError("bad")
        except ValueError:
            log.exception("it broke")

    line = json.loads(console_output(boom))
    assert "ValueError: bad" in line["exception"]


def test_any_logged_line_syncs_so_beat_and_the_worker_main_process_follow(
    transactional_db,
):
    config.update_settings({"logging.level": "WARNING"})
    runtime_logging._state["checked"] = float("-inf")
    # A process that serves no request and runs no task (beat) still logs.
    logging.getLogger("celery.beat").info("Scheduler: Sending due task")
    assert logging.getLogger().level == logging.WARNING


def test_a_line_logged_inside_a_transaction_does_not_query(db):
    config.update_settings({"logging.level": "ERROR"})
    runtime_logging._state["checked"] = float("-inf")
    logging.getLogger("stmails").warning("inside the test's transaction")
    assert logging.getLogger().level != logging.ERROR


def test_a_line_logged_by_another_thread_opens_no_connection(transactional_db):
    import threading

    from django.db import connection

    config.update_settings({"logging.level": "ERROR"})
    runtime_logging._state["checked"] = float("-inf")
    seen = {}

    def log_from_a_thread():
        logging.getLogger("stmails").warning("from a server thread")
        seen["connected"] = connection.connection is not None

    thread = threading.Thread(target=log_from_a_thread)
    thread.start()
    thread.join()
    assert seen == {"connected": False}
    assert logging.getLogger().level != logging.ERROR
