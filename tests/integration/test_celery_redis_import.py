"""An import end to end through Redis and a real Celery worker process."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from subscribers.imports import jobs
from subscribers.models import ImportJob, Subscriber, Subscription
from tests.celery_worker import real_broker, start_worker, stop_worker

BROKER = "redis://127.0.0.1:6379/5"
ROWS = 300


@pytest.fixture
def worker(settings, tmp_path):
    with real_broker(settings, BROKER):
        log_path = tmp_path / "worker.log"
        proc = start_worker(BROKER, tmp_path / "var", log_path)
        yield log_path
        stop_worker(proc)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_it_imports_through_a_real_worker(settings, tmp_path, make_list, worker):
    settings.STMAILS_IMPORT_DIR = tmp_path / "imports"
    news = make_list()
    rows = "".join(f"user{i}@example.com,User {i}\n" for i in range(ROWS))
    upload = SimpleUploadedFile(
        "big.csv", f"email,name\n{rows}not-an-email,X\n".encode()
    )

    job = jobs.start_import(
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
