"""Real Celery workers for tests: a `celery worker` process on Redis and the test
PostgreSQL database (another process cannot see SQLite's in-test transaction)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection
from kombu import pools

from stmails.celery import CAMPAIGN_QUEUE, DEFAULT_QUEUE, IMPORT_QUEUE, SCAN_QUEUE, app
from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[1]
# One test worker consumes every lane (production runs one worker per lane).
ALL_QUEUES = ",".join((DEFAULT_QUEUE, SCAN_QUEUE, CAMPAIGN_QUEUE, IMPORT_QUEUE))


def require_postgresql() -> None:
    if connection.vendor == "postgresql":
        return
    message = "needs PostgreSQL (set DATABASE_URL=postgresql://...)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def test_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgresql://{auth}@{host}:{port}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


def _drop_broker_pools() -> None:
    # Pools made earlier would still point at the other broker; kombu keeps a
    # global pool per URL, which a closed pool must not stay in.
    pools.reset()
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def real_broker(settings, broker_url: str) -> Iterator[None]:
    """Tasks from this process go to Redis, as in production (not eager)."""
    require_service("redis", "127.0.0.1", 6379)
    require_postgresql()
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.broker_url = broker_url
    _drop_broker_pools()
    app.control.purge()  # leftovers from an aborted run would hit this database
    try:
        yield
    finally:
        _drop_broker_pools()
        app.conf.task_always_eager, app.conf.broker_url = saved


def start_worker(
    broker_url: str, var_dir: Path, log_path: Path, queues: str = ALL_QUEUES
) -> subprocess.Popen:
    """A solo worker on `queues` (default: every lane)."""
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "STMAILS_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "stmails.settings",
    }
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "stmails", "worker",
             "--pool=solo", "-l", "info", "--queues", queues, "--without-heartbeat",
             "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


def stop_worker(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
