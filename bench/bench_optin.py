"""Benchmark: 1,000 subscriptions to a double opt-in list; target: all 1,000
confirmation mails delivered to a local SMTP server within 30 s.

End to end, as in production: POST /api/public/subscription to gunicorn (2 sync
workers), each request queues its mail in the outgoing queue table, a real
Celery worker (Redis broker) sends it, and an aiosmtpd server on loopback (in
this process) counts what arrives. The clock runs from the first request to the
last mail received.

The public API is rate limited per client address (subscribers/ratelimit.py),
so the requests come from many loopback source addresses (127.0.1.x), as 1,000
visitors would; a benchmark that lifted the limit would measure less.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/stmails_bench \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/10 \\
        .venv/bin/python bench/bench_optin.py [--subscriptions 1000] [--concurrency 8]

Each run uses its own list, addresses (optin-<run>-N@bench.example) and
loopback network (127.X.Y.0/24), deletes its rows at the end and restores the
settings it changed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import emit, ensure_postgres_database  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/stmails_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/10"
LIMIT_SECONDS = 30.0
# This run's addresses and names: the rate-limit counters of an earlier run (in
# the shared cache) and other benches' rows never get in the way.
PREFIX = f"optin-{uuid.uuid4().hex[:8]}-"
_NET = f"127.{random.randint(2, 254)}.{random.randint(0, 255)}"  # noqa: S311
SOURCE_ADDRESSES = [f"{_NET}.{n}" for n in range(1, 201)]


def configure() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stmails.settings")
    os.environ.setdefault(
        "SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789"
    )
    os.environ.setdefault(
        "STMAILS_ENCRYPTION_KEY", "YmVuY2gtb25seS1lbmNyeXB0aW9uLWtleS0zMmJ5dGU="
    )
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("CELERY_BROKER_URL", DEFAULT_REDIS_URL)
    # Rate-limit counters must be shared by the gunicorn workers.
    os.environ.setdefault("CACHE_URL", os.environ["CELERY_BROKER_URL"])
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ["DEBUG"] = "false"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.setdefault(
        "STMAILS_VAR_DIR", tempfile.mkdtemp(prefix="stmails-bench-optin-")
    )
    if not os.environ["CELERY_BROKER_URL"].startswith("redis://"):
        sys.exit("CELERY_BROKER_URL must be redis:// for this benchmark")
    ensure_postgres_database(os.environ["DATABASE_URL"])


class CountingSink:
    """aiosmtpd handler: counts messages and the time the last one arrived."""

    def __init__(self) -> None:
        self.count = 0
        self.last_at = 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        ok = b"/subscription/optin/" in envelope.original_content
        with self.lock:
            self.count += ok
            self.last_at = time.perf_counter()
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SETTINGS_CHANGED = (
    "smtp",
    "app.root_url",
    "app.send_optin_confirmation",
    "app.enable_public_subscription_page",
)


def prepare(sink_port: int, root_url: str) -> tuple[str, dict]:
    """Migrate, point SMTP at the sink, create this run's double opt-in list.
    Returns the list's uuid and the stored settings rows to restore."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from stmails.config import update_settings
    from stmails.models import Setting
    from subscribers.models import MailingList

    call_command("migrate", verbosity=0, interactive=False)
    saved = dict(
        Setting.objects.filter(key__in=SETTINGS_CHANGED).values_list("key", "value")
    )
    server = {
        "uuid": "33333333-3333-4333-8333-333333333333",
        "enabled": True,
        "host": "127.0.0.1",
        "port": sink_port,
        "auth_protocol": "none",
        "tls_type": "none",
        "hello_hostname": "bench.local",
    }
    update_settings(
        {
            "smtp": [server],
            "app.root_url": root_url,
            "app.send_optin_confirmation": True,
            "app.enable_public_subscription_page": True,
        }
    )
    weekly = MailingList.objects.create(
        name=f"{PREFIX}list", type="public", optin="double"
    )
    connection.close()
    return str(weekly.uuid), saved


def clean_up(saved: dict) -> None:
    """Delete this run's rows and put the settings back (other benches share the
    database, e.g. the 1,000,000 subscribers of bench_api_subscribers)."""
    from django.db import connection

    from stmails.models import OutgoingMail, Setting
    from subscribers.models import MailingList, Subscriber

    OutgoingMail.objects.filter(to_email__startswith=PREFIX).delete()
    Subscriber.objects.filter(email__startswith=PREFIX).delete()
    MailingList.objects.filter(name=f"{PREFIX}list").delete()
    Setting.objects.filter(key__in=SETTINGS_CHANGED).exclude(key__in=saved).delete()
    for key, value in saved.items():
        Setting.objects.update_or_create(key=key, defaults={"value": value})
    connection.close()


def spawn(cmd: list[str], log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 (lives as long as the process)
    # Unbuffered: the log lines this script waits for ("ready.") are written
    # to a file, which Python would otherwise flush only every few kilobytes.
    return subprocess.Popen(
        cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_http(port: int, proc: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn did not start; see {log_path}")


def wait_worker(log_path: Path, proc: subprocess.Popen, since: float) -> None:
    """Until the worker's ready signal wrote its heartbeat (stmails.tasks):
    its log's "ready." line depends on the logging settings in force."""
    from stmails.models import Heartbeat

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        beat = Heartbeat.objects.filter(name="worker").first()
        if beat is not None and beat.seen_at.timestamp() >= since:
            return
        time.sleep(0.2)
    sys.exit(f"the Celery worker did not start; see {log_path}")


def subscribe(port: int, n: int, list_uuid: str) -> tuple[int, float]:
    source = SOURCE_ADDRESSES[n % len(SOURCE_ADDRESSES)]
    body = json.dumps(
        {
            "email": f"{PREFIX}{n}@bench.example",
            "name": f"P {n}",
            "list_uuids": [list_uuid],
        }
    )
    started = time.perf_counter()
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=30, source_address=(source, 0)
    )
    try:
        conn.request(
            "POST",
            "/api/public/subscription",
            body,
            {"Content-Type": "application/json"},
        )
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        conn.close()


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def outbox_counts() -> dict[str, int]:
    from django.db import connection
    from django.db.models import Count

    from stmails.models import OutgoingMail

    counts = dict(
        OutgoingMail.objects.filter(to_email__startswith=PREFIX)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    connection.close()
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--celery-concurrency", type=int, default=4)
    args = parser.parse_args()
    total = args.subscriptions

    configure()
    from aiosmtpd.controller import Controller

    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    web_port = free_port()
    list_uuid, saved = prepare(controller.port, f"http://127.0.0.1:{web_port}")
    var = Path(os.environ["STMAILS_VAR_DIR"])
    venv = ROOT / ".venv" / "bin"
    web_log, worker_log = var / "gunicorn.log", var / "worker.log"
    web = spawn(
        [
            str(venv / "gunicorn"), "stmails.wsgi:application",
            "--bind", f"127.0.0.1:{web_port}",
            "--workers", str(args.web_workers),
            "--log-level", "warning", "--no-control-socket",
        ],
        web_log,
    )  # fmt: skip
    spawned = time.time() - 1
    worker = spawn(
        [
            str(venv / "celery"), "-A", "stmails", "worker",
            "--concurrency", str(args.celery_concurrency),
            "--loglevel", "INFO", "--without-gossip", "--without-mingle",
        ],
        worker_log,
    )  # fmt: skip
    try:
        wait_http(web_port, web, web_log)
        wait_worker(worker_log, worker, spawned)
        load = os.getloadavg()
        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            results = list(
                pool.map(lambda n: subscribe(web_port, n, list_uuid), range(total))
            )
        requests_done = time.perf_counter() - started
        deadline = started + LIMIT_SECONDS + 30
        while sink.count < total and time.perf_counter() < deadline:
            time.sleep(0.05)
        delivered = sink.count
        elapsed = (sink.last_at or time.perf_counter()) - started
    finally:
        stop(web)
        stop(worker)
        controller.stop()

    statuses: dict[int, int] = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    latencies = [seconds for _, seconds in results]
    print(f"database     {urlsplit(os.environ['DATABASE_URL']).path.lstrip('/')}")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (before the run)")
    print(
        f"setup        gunicorn {args.web_workers} sync workers, Celery "
        f"{args.celery_concurrency} processes, {args.concurrency} client threads"
    )
    print(f"responses    {statuses}")
    print(
        f"requests     {total} in {requests_done:.2f} s "
        f"({total / requests_done:,.0f} req/s); latency p50 "
        f"{percentile(latencies, 50) * 1000:.0f} ms, p95 "
        f"{percentile(latencies, 95) * 1000:.0f} ms, p99 "
        f"{percentile(latencies, 99) * 1000:.0f} ms"
    )
    print(f"delivered    {delivered} of {total} confirmation mails")
    print(
        f"all mail in  {elapsed:.2f} s from the first request "
        f"({delivered / elapsed:,.0f} mails/s); target {LIMIT_SECONDS:.0f} s"
    )
    print(f"outbox       {outbox_counts()}")
    clean_up(saved)
    ok = statuses.get(200) == total and delivered == total and elapsed <= LIMIT_SECONDS
    emit("opt-in", f"{total:,} confirmation mails delivered", round(elapsed, 2), unit="s",
         target=f"< {LIMIT_SECONDS:.0f}, every one", passed=ok,
         note=f"{delivered:,} delivered; {statuses.get(200, 0):,} of {total:,} requests"
         f" 200; p95 {percentile(latencies, 95) * 1000:.0f} ms")  # fmt: skip
    if not ok:
        print(
            f"FAIL: the target is {total} confirmation mails delivered within "
            f"{LIMIT_SECONDS:.0f} s; logs in {var}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
