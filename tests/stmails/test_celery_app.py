"""The Celery app exists in every process that uses tasks, although importing
the stmails package no longer creates it (stmails/__init__.py, stmails/apps.py).

Each case is a fresh process: in the test process the app exists already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A web or manage.py process: Django starts, then a request thread sends tasks.
DJANGO_PROCESS = """
import json, threading, django
django.setup()
from celery import current_app
from campaigns.tasks import send_campaign
seen = {}
def request():
    seen.update(current=current_app.main, task=send_campaign.app.main,
                registered=send_campaign.name in current_app.tasks)
thread = threading.Thread(target=request)
thread.start()
thread.join()
print(json.dumps(seen))
"""
# What `celery -A stmails worker` does before it consumes: find the app by the
# package's name, then import the task modules (the Django fix-up runs
# django.setup() on the way).
WORKER_PROCESS = """
import json
from celery.app.utils import find_app
app = find_app("stmails")
app.loader.import_default_modules()
print(json.dumps({"app": app.main, "tasks": sorted(app.tasks)}))
"""


def run(code: str, tmp_path: Path) -> dict:
    env = {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": "test-only-secret-key-not-for-production-0123456789abcdef",
        "STMAILS_ENCRYPTION_KEY": "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTMyYnl0ZXM=",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CACHE_URL": "locmem://",
        "STMAILS_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "stmails.settings",
    }
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_a_django_process_sends_tasks_through_the_stmails_app_from_any_thread(
    tmp_path,
):
    assert run(DJANGO_PROCESS, tmp_path) == {
        "current": "stmails",
        "task": "stmails",
        "registered": True,
    }


def test_celery_dash_a_stmails_finds_the_app_and_every_task(tmp_path):
    from stmails.celery import app

    seen = run(WORKER_PROCESS, tmp_path)
    assert seen["app"] == "stmails"
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled | set(app.conf.task_routes) <= set(seen["tasks"])
