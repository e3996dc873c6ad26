"""What the benchmarks share: environment, database, an API user, gunicorn.

Scripts import it as `from harness import ...` (bench/ is on sys.path when a
script runs).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/stmails_bench"


def configure(var_prefix: str) -> str:
    """Environment for Django and gunicorn; returns the database URL."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stmails.settings")
    os.environ.setdefault(
        "SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789"
    )
    os.environ.setdefault(
        "STMAILS_ENCRYPTION_KEY", "YmVuY2gtb25seS1lbmNyeXB0aW9uLWtleS0zMmJ5dGU="
    )
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ.setdefault("STMAILS_VAR_DIR", tempfile.mkdtemp(prefix=var_prefix))
    url = os.environ["DATABASE_URL"]
    ensure_postgres_database(url)
    return url


def ensure_postgres_database(url: str, *, required: bool = True) -> None:
    """Create the benchmark's database if missing. Targets are set for PostgreSQL:
    another database stops the run, or only warns when not `required`."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        if required:
            sys.exit("DATABASE_URL must be PostgreSQL for this benchmark")
        print(
            "warning: DATABASE_URL is not PostgreSQL; the target is set for PostgreSQL"
        )
        return
    import psycopg

    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def fresh_api_user(name: str) -> str:
    """(Re)creates the API user; returns "name:token"."""
    from stmails.models import ApiUser
    from stmails.services import create_api_user

    ApiUser.objects.filter(name=name).delete()
    user, token = create_api_user(name)
    return f"{user.name}:{token}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(
    port: int,
    workers: int,
    log_path: Path,
    worker_class: str = "sync",
    threads: int = 1,
    app: str = "stmails.wsgi:application",
    env: dict[str, str] | None = None,
):
    from django.db import connections

    connections.close_all()
    cmd = [
        str(Path(sys.executable).parent / "gunicorn"),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--timeout",
        "120",
        "--log-level",
        "warning",
    ]
    log = open(log_path, "wb")  # noqa: SIM115 (lives as long as the server)
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)  # noqa: S310
            return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.3)
    proc.kill()
    sys.exit(f"gunicorn did not start; see {log_path}")


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


# --- the floor: the least a Django view can do (issue 19) ---------------------------

FLOOR_TABLE = "bench_floor_events"


def start_floor(port: int, workers: int, log_path: Path, token: str, **kwargs):
    """bench/floor under gunicorn with the same settings as stmails: a view that
    checks a token, parses the JSON body and INSERTs one row (POST /floor)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id bigserial PRIMARY KEY,"
            " payload jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute(f"TRUNCATE {FLOOR_TABLE}")
    env = {"FLOOR_TOKEN": token, "FLOOR_TABLE": FLOOR_TABLE}
    return start_gunicorn(
        port, workers, log_path, app="bench.floor.wsgi:application", env=env, **kwargs
    )


def floor_rows() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {FLOOR_TABLE}")  # noqa: S608 (a constant)
        return cursor.fetchone()[0]


def start_worker(concurrency: int, log_path: Path, *, nice: int = 10):
    """A Celery worker on CELERY_BROKER_URL (niced: answering requests comes first)."""
    cmd = [
        "nice",
        "-n",
        str(nice),
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "stmails",
        "worker",
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "warning",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    log = open(log_path, "wb")  # noqa: SIM115 (lives as long as the worker)
    return subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


# --- results for `make bench`'s summary (bench/summary.py) ------------------------


def emit(
    bench: str,
    figure: str,
    value: float | None,
    *,
    unit: str = "",
    target: str = "",
    floor: float | None = None,
    passed: bool | None = None,
    note: str = "",
) -> None:
    """One figure as a JSON line appended to $BENCH_RESULTS (when set).

    `target` says the goal in words (">= 0.7", "< 50 ms"); `floor` is the same
    machine's reference figure measured in the same run, when there is one.
    The script's human-readable output is unchanged: this only adds a line to
    the file `make bench` collects.
    """
    path = os.environ.get("BENCH_RESULTS")
    if not path:
        return
    import json

    line = {
        "script": os.environ.get("BENCH_SCRIPT", Path(sys.argv[0]).name),
        "bench": bench,
        "figure": figure,
        "value": value,
        "unit": unit,
        "target": target,
        "floor": floor,
        "passed": passed,
        "note": note,
    }
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")
