"""An import end to end through Redis and a real Celery worker process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from stmails.celery import app
from subscribers import imports
from subscribers.models import ImportJob, Subscriber, Subscription
from tests.conftest import require_service

BROKER = "redis://127.0.0.1:6379/5"
ROOT = Path(__file__).resolve().parents[2]
ROWS = 300


def _require_postgresql() -> None:
    # The worker is another process: it needs a database server, not SQLite's
    # in-test transaction.
    if connection.vendor == "postgresql":
        return
    message = "needs PostgreSQL (set DATABASE_URL=postgresql://...)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _test_database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def broker_not_eager(settings):
    """Send tasks to Redis from this process too, as production does."""
    require_service("redis", "127.0.0.1", 6379)
    _require_postgresql()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = BROKER
    _drop_broker_pools()
    app.control.purge()  # leftovers from an aborted run would hit this database
    yield
    _drop_broker_pools()
    app.conf.task_always_eager, app.conf.broker_url = saved


def _drop_broker_pools() -> None:
    # Pools made earlier would still point at the other broker.
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def worker(broker_not_eager, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "STMAILS_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "stmails.settings",
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "stmails",
                "worker",
                "--pool=solo",
                "-l",
                "info",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    yield log_path
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_it_imports_through_a_real_worker(settings, tmp_path, make_list, worker):
    settings.STMAILS_IMPORT_DIR = tmp_path / "imports"
    news = make_list()
    rows = "".join(f"user{i}@example.com,User {i}\n" for i in range(ROWS))
    upload = SimpleUploadedFile(
        "big.csv", f"email,name\n{rows}not-an-email,X\n".encode()
    )

    job = imports.start_import(
        upload, {"lists": [news.id], "subscription_status": "confirmed"}
    )

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if not job.is_running:
            break
        time.sleep(0.5)
    assert job.status == "finished", worker.read_text()[-3000:]
    assert (job.total, job.imported, job.failed) == (ROWS + 1, ROWS, 1)
    assert Subscriber.objects.count() == ROWS
    assert Subscription.objects.filter(list=news, status="confirmed").count() == ROWS
    assert job.errors == [
        {"line": ROWS + 2, "email": "not-an-email", "error": "invalid email address"}
    ]
    assert ImportJob.objects.get().status == "finished"
