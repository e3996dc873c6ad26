"""Benchmark: signed SendGrid batches through POST /webhooks/service/sendgrid, end to end.

Targets: at least 1,000 events/s ingested end to end (from the first request to
the last bounce recorded by the worker), p99 under 100 ms per request, and every
event recorded exactly once when the load ends (bounces == unique events, also
with provider retries re-sending some batches).

Setup: gunicorn (3 sync workers) on PostgreSQL (DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/stmails_bench_j), a real Celery worker on
Redis (CELERY_BROKER_URL, default redis://127.0.0.1:6379/8), an ECDSA P-256 key
pair made for the run and stored as bounce.sendgrid_key, 20,000 subscribers.
Every request is a batch of 100 events (60% bounce, 30% blocked, 10% spamreport)
signed over timestamp + body; 5% of the batches are sent a second time, as
SendGrid's retries do. Bodies and signatures are made before the clock starts,
and a few signed one-event requests warm each gunicorn worker up first (its
first request imports the view and opens its database and broker connections).
The worker records each stored request's events with one record_bounces call
(bounces/recording.py), niced so that providers are answered first.

    .venv/bin/python bench/bench_provider_webhooks.py [--batches 400] [--clients 4]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/stmails_bench_j"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/8"
SUBSCRIBERS = 20_000
BATCH = 100
TARGET_EPS = 1000.0
TARGET_P99_MS = 100.0
KINDS = (
    [("bounce", "bounce")] * 6 + [("bounce", "blocked")] * 3 + [("spamreport", None)]
)


def environment() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("CELERY_BROKER_URL", DEFAULT_BROKER_URL)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    from harness import configure

    configure("stmails-bench-provider-")


def make_key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, base64.b64encode(der).decode()


def prepare(public_key: str) -> None:
    from django.db import connection

    from stmails.config import update_settings
    from subscribers.models import Subscriber

    with connection.cursor() as cursor:
        # Every bounce goes below, so every event pointing at one goes
        # first, whichever bench stored it (make bench shares one database).
        cursor.execute("DELETE FROM webhook_events")
        cursor.execute("DELETE FROM bounce_actions")
        cursor.execute("DELETE FROM bounces")
    Subscriber.objects.filter(email__endswith="@sgbench.example").delete()
    Subscriber.objects.bulk_create(
        (
            Subscriber(email=f"s{i}@sgbench.example", name=f"S {i}")
            for i in range(SUBSCRIBERS)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    update_settings(
        {
            "bounce.enabled": True,
            "bounce.sendgrid_enabled": True,
            "bounce.sendgrid_key": public_key,
        }
    )


def signed_headers(key, body: bytes, now: int) -> dict[str, str]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    timestamp = str(now)
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "Content-Type": "application/json",
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
    }


def make_warm_up(key, count: int) -> list:
    """Signed batches of one bounce for an address nobody has (ignored: no bounce).

    Actionable, so the warm-up also opens each gunicorn worker's broker connection.
    """
    now = int(time.time())
    out = []
    for i in range(count):
        event = {
            "email": "nobody@warm.sgbench.example",
            "event": "bounce",
            "sg_event_id": f"warm-{time.time_ns():x}-{i}",
            "timestamp": now,
        }
        body = json.dumps([event]).encode()
        out.append((body, signed_headers(key, body, now)))
    return out


def make_requests(key, batches: int, seed: int = 7) -> tuple[list, int]:
    """Signed (body, headers) pairs, retries included; returns them and the unique count."""
    rng = random.Random(seed)
    run = f"{time.time_ns():x}"
    now = int(time.time())
    out, n = [], 0
    for _ in range(batches):
        events = []
        for _ in range(BATCH):
            n += 1
            event, kind = rng.choice(KINDS)
            item = {
                "email": f"s{rng.randrange(SUBSCRIBERS)}@sgbench.example",
                "event": event,
                "sg_event_id": f"{run}-{n}",
                "sg_message_id": f"msg{n}.filter0001",
                "timestamp": now,
                "reason": "550 5.1.1 unknown user",
                "status": "5.1.1",
            }
            if kind:
                item["type"] = kind
            events.append(item)
        body = json.dumps(events).encode()
        out.append((body, signed_headers(key, body, now)))
    unique = n
    # SendGrid retries: 5% of the batches again, interleaved.
    for body, headers in rng.sample(out, max(1, batches // 20)):
        out.insert(rng.randrange(len(out)), (body, headers))
    return out, unique


def drive(
    port: int,
    requests: list,
    clients: int,
    label: str = "slowest requests",
    path: str = "/webhooks/service/sendgrid",
) -> tuple[list[float], list[int], float]:
    latencies: list[float] = []
    statuses: list[int] = []
    slow: list[tuple[float, float]] = []
    lock = threading.Lock()
    queue = list(reversed(requests))

    def client() -> None:
        while True:
            with lock:
                if not queue:
                    return
                body, headers = queue.pop()
            start = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", path, body=body, headers=headers)
            answer = conn.getresponse()
            answer.read()
            conn.close()
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(elapsed)
                slow.append((elapsed, start - started))
                statuses.append(answer.status)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slowest = ", ".join(f"{ms:.0f} ms at {at:.1f} s" for ms, at in sorted(slow)[-5:])
    print(f"{label}: {slowest}")
    return latencies, statuses, started


def counts() -> tuple[int, int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), COUNT(DISTINCT event_key) FROM bounces WHERE source = 'sendgrid'"
        )
        bounces, distinct = cursor.fetchone()
        cursor.execute(
            "SELECT COUNT(*) FROM webhook_events WHERE provider = 'sendgrid' AND status = 'received'"
        )
        (pending,) = cursor.fetchone()
    return bounces, distinct, pending


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


FLOOR_TOKEN = "bench-floor-token"  # noqa: S105 (the floor's throwaway token)


def run_floor(requests: list, unique: int, args, logs: Path) -> dict:
    """The same bodies, through bench/floor (token check, JSON parse, one INSERT
    per request) under the same gunicorn settings: intake events/s and p99."""
    from harness import free_port, start_floor, stop

    headers = {"Content-Type": "application/json",
               "Authorization": f"token {FLOOR_TOKEN}"}  # fmt: skip
    floor_requests = [(body, headers) for body, _ in requests]
    port = free_port()
    server = start_floor(port, args.workers, logs / "floor.log", FLOOR_TOKEN)
    try:
        drive(port, floor_requests[: args.workers * 4], args.workers * 2,
              "floor warm-up", path="/floor")  # fmt: skip
        latencies, statuses, started = drive(
            port, floor_requests, args.clients, "floor: slowest requests", path="/floor"
        )
        seconds = time.perf_counter() - started
    finally:
        stop(server)
    return {
        "eps": unique / seconds,
        "p99": percentile(latencies, 99),
        "ok": sum(1 for s in statuses if s == 200) == len(statuses),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--drain-timeout", type=float, default=400.0)
    parser.add_argument(
        "--no-floor", action="store_true", help="skip the floor (bench/floor) run"
    )
    args = parser.parse_args()

    environment()
    from harness import free_port, setup_django, start_gunicorn, start_worker, stop

    setup_django()
    key, public = make_key()
    print(f"preparing {SUBSCRIBERS} subscribers and {args.batches} signed batches...")
    prepare(public)
    requests, unique = make_requests(key, args.batches)
    logs = Path(tempfile.mkdtemp(prefix="bench-provider-logs-"))
    # The floor first, alone on the machine as stmails will be.
    floor = None if args.no_floor else run_floor(requests, unique, args, logs)
    from django.db import connections

    connections.close_all()
    port = free_port()
    web = start_gunicorn(port, args.workers, logs / "gunicorn.log")
    worker = start_worker(args.worker_concurrency, logs / "worker.log")
    time.sleep(3)  # the worker connects to Redis
    try:
        # Each gunicorn worker's first request imports the view's modules and
        # opens its database connection: a cold start, not steady-state latency.
        drive(port, make_warm_up(key, args.workers * 4), args.workers * 2, "warm-up")
        latencies, statuses, started = drive(port, requests, args.clients)
        load_end = time.perf_counter()
        deadline = load_end + args.drain_timeout
        while True:
            bounces, distinct, pending = counts()
            if bounces >= unique or time.perf_counter() > deadline:
                break
            time.sleep(0.2)
        done = time.perf_counter()
        time.sleep(1)  # anything recorded twice would show up now
        bounces, distinct, pending = counts()
    finally:
        stop(web)
        stop(worker)

    ok_requests = sum(1 for s in statuses if s == 200)
    load_s = load_end - started
    total_s = done - started
    ingest_eps = unique / load_s
    e2e_eps = unique / total_s
    p50, p95, p99 = (percentile(latencies, p) for p in (50, 95, 99))
    print(
        f"requests: {len(statuses)} ({ok_requests} answered 200), {len(requests) - args.batches} retried batches"
    )
    print(f"events: {unique} unique, {BATCH} per batch")
    print(f"ingest (HTTP, stored): {load_s:.2f} s = {ingest_eps:,.0f} events/s")
    print(
        f"end to end (last bounce recorded): {total_s:.2f} s = {e2e_eps:,.0f} events/s"
    )
    print(
        f"latency per request: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, max {max(latencies):.1f} ms"
    )
    print(
        f"bounces: {bounces} ({distinct} distinct event keys), pending inbox rows: {pending}"
    )
    if floor:
        print(
            f"floor (bench/floor: token, JSON, one INSERT per request, same bodies):"
            f" {floor['eps']:,.0f} events/s, p99 {floor['p99']:.1f} ms"
            f"{'' if floor['ok'] else ' (NOT ALL 200)'}; stmails ingest/floor"
            f" {ingest_eps / floor['eps']:.2f}"
        )
    print(
        f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; logs in {logs}"
    )
    misses = []
    if ok_requests != len(statuses):
        misses.append(f"{len(statuses) - ok_requests} requests not answered 200")
    if e2e_eps < TARGET_EPS:
        misses.append(f"end to end {e2e_eps:,.0f} events/s < {TARGET_EPS:,.0f}")
    if p99 >= TARGET_P99_MS:
        misses.append(f"p99 {p99:.1f} ms >= {TARGET_P99_MS} ms")
    if not (bounces == distinct == unique):
        misses.append(
            f"bounces {bounces} / distinct {distinct} != unique events {unique}"
        )
    for miss in misses:
        print(f"MISS: {miss}")
    from harness import emit

    name = "provider webhooks (SendGrid)"
    emit(name, "end to end", round(e2e_eps), unit="events/s",
         target=f">= {TARGET_EPS:,.0f}", passed=e2e_eps >= TARGET_EPS,
         note="to the last bounce recorded")  # fmt: skip
    emit(name, "ingest (HTTP, stored)", round(ingest_eps), unit="events/s",
         floor=round(floor["eps"]) if floor else None,
         note=f"x{ingest_eps / floor['eps']:.2f} the floor" if floor else "")  # fmt: skip
    emit(name, "p99 per request", p99, unit="ms", target=f"< {TARGET_P99_MS:.0f}",
         floor=round(floor["p99"], 1) if floor else None,
         passed=p99 < TARGET_P99_MS)  # fmt: skip
    emit(name, "recorded once", bounces, target="exactly once",
         passed=bounces == distinct == unique)  # fmt: skip
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
