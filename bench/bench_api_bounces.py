"""Benchmark: GET /api/bounces with 1,000,000 bounces stored, and their full CSV export.

Targets: a page in under 100 ms at p95; the CSV export of 1,000,000 rows in
under 30 s with flat memory (the serving worker's RSS is sampled from /proc).

Fills DATABASE_URL (PostgreSQL; default .../stmails_bench) with 100,000
subscribers, 20 campaigns and 1,000,000 bounces by INSERT ... SELECT
generate_series (kept between runs; --refill rebuilds them), starts gunicorn
with one sync worker and times requests with an API user's token.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/stmails_bench_f \\
        .venv/bin/python bench/bench_api_bounces.py [--requests 200] [--refill]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402 (the path above makes it importable)
    configure,
    emit,
    free_port,
    fresh_api_user,
    setup_django,
    start_gunicorn,
    stop,
)

BOUNCES = 1_000_000
SUBSCRIBERS = 100_000
PAGE_P95_MS = 100.0
EXPORT_SECONDS = 30.0

FILL_SQL = [
    # Inbox rows of other benchmarks point at bounces (bench database only).
    "UPDATE webhook_events SET bounce_id = NULL WHERE bounce_id IS NOT NULL",
    "DELETE FROM bounces",
    "DELETE FROM bounce_actions",
    "DELETE FROM subscribers WHERE email LIKE 'bb%%@bench.example'",
    "DELETE FROM campaigns WHERE name LIKE 'Bench campaign %%'",
    """INSERT INTO subscribers (uuid, email, name, attribs, status, created_at, updated_at)
       SELECT gen_random_uuid(), 'bb' || g || '@bench.example', 'Bench ' || g, '{}',
              CASE WHEN g %% 10 = 0 THEN 'blocklisted' ELSE 'enabled' END, now(), now()
       FROM generate_series(1, %(subscribers)s) g""",
    """WITH subs AS (
         SELECT id, email, row_number() OVER (ORDER BY id) - 1 AS rn
         FROM subscribers WHERE email LIKE 'bb%%@bench.example'),
       camps AS (
         SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn
         FROM campaigns WHERE name LIKE 'Bench campaign %%')
       INSERT INTO bounces (subscriber_id, campaign_id, type, source, meta, created_at,
                            email, event_key, provider_message_id, status_code, recorded_at,
                            reason)
       SELECT subs.id, camps.id, (ARRAY['hard', 'soft', 'complaint'])[1 + g %% 3],
              (ARRAY['api', 'ses', 'pop3:bounces'])[1 + g %% 3 / 2 + g %% 2],
              jsonb_build_object('additional', 'info', 'n', g),
              now() - make_interval(secs => g * 30), subs.email, NULL, '', '5.1.1', now(),
              (ARRAY['userunknown', 'mailboxfull', 'feedback'])[1 + g %% 3]
       FROM generate_series(1, %(bounces)s) g
       JOIN subs ON subs.rn = g %% %(subscribers)s
       LEFT JOIN camps ON camps.rn = g %% 25""",
]


def fill(refill: bool) -> None:
    from django.db import connection

    from bounces.models import Bounce
    from campaigns.models import Campaign

    if not refill and Bounce.objects.count() == BOUNCES:
        print(f"{BOUNCES} bounces already stored (use --refill to rebuild)")
        return
    started = time.perf_counter()
    params = {"subscribers": SUBSCRIBERS, "bounces": BOUNCES}
    deletes, inserts = FILL_SQL[:4], FILL_SQL[4:]
    with connection.cursor() as cursor:
        for sql in deletes:
            cursor.execute(sql, params)
    # Campaigns through the ORM: their columns (and defaults) grow with the app.
    Campaign.objects.bulk_create(
        Campaign(name=f"Bench campaign {g}", subject=f"Subject {g}", status="finished")
        for g in range(1, 21)
    )
    with connection.cursor() as cursor:
        for sql in inserts:
            cursor.execute(sql, params)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE bounces")
        cursor.execute("VACUUM ANALYZE subscribers")
        cursor.execute("VACUUM ANALYZE campaigns")
    print(f"filled {BOUNCES} bounces in {time.perf_counter() - started:.1f} s")


def worker_pid(master: int) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker")


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def timed_get(port: int, auth: str, path: str) -> tuple[float, int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    return elapsed, response.status, body


def time_pages(port: int, auth: str, path: str, n: int) -> dict:
    for _ in range(5):
        timed_get(port, auth, path)
    times = []
    for _ in range(n):
        ms, status, body = timed_get(port, auth, path)
        if status != 200:
            raise RuntimeError(f"{path}: {status} {body[:200]!r}")
        times.append(ms)
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[int(len(times) * 0.95) - 1],
        "max": times[-1],
    }


def export_csv(port: int, auth: str, pid: int) -> dict:
    peak = {"rss": rss_kb(pid)}
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak["rss"] = max(peak["rss"], rss_kb(pid))
            time.sleep(0.1)

    baseline = rss_kb(pid)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}
    started = time.perf_counter()
    conn.request("GET", "/api/bounces?format=csv", headers=headers)
    response = conn.getresponse()
    lines = size = 0
    first_byte = None
    while chunk := response.read(1 << 16):
        if first_byte is None:
            first_byte = time.perf_counter() - started
        size += len(chunk)
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return {
        "status": response.status,
        "seconds": seconds,
        "first_byte": first_byte or 0.0,
        "rows": lines - 1,
        "mb": size / 1e6,
        "baseline_mb": baseline / 1024,
        "peak_mb": peak["rss"] / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--refill", action="store_true")
    args = parser.parse_args()

    configure("stmails-bench-api-")
    setup_django()
    fill(args.refill)
    auth = fresh_api_user("bench-api")
    port = free_port()
    log_path = Path(os.environ["STMAILS_VAR_DIR"]) / "gunicorn.log"
    server = start_gunicorn(port, 1, log_path)
    passed = True
    try:
        pid = worker_pid(server.pid)
        pages = [
            ("/api/bounces", True),
            ("/api/bounces?page=50&per_page=100", False),
            ("/api/bounces?type=hard", False),
            ("/api/bounces?source=ses&order=asc", False),
            ("/api/bounces?email=bb42@bench.example", False),
            ("/api/bounces?from=2026-01-01&to=2026-12-31", False),
            ("/api/bounces?order_by=email", False),
        ]
        for path, target in pages:
            result = time_pages(port, auth, path, args.requests if target else 20)
            verdict = ""
            if target:
                ok = result["p95"] < PAGE_P95_MS
                passed &= ok
                verdict = (
                    f" (target p95 < {PAGE_P95_MS:.0f} ms: {'ok' if ok else 'MISSED'})"
                )
                emit("api bounces", f"GET {path} p95", round(result["p95"], 1),
                     unit="ms", target=f"< {PAGE_P95_MS:.0f}", passed=ok,
                     note=f"{BOUNCES:,} bounces")  # fmt: skip
            print(
                f"GET {path}: p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, "
                f"max {result['max']:.1f} ms{verdict}"
            )
        export = export_csv(port, auth, pid)
        ok = (
            export["status"] == 200
            and export["rows"] == BOUNCES
            and export["seconds"] < EXPORT_SECONDS
        )
        passed &= ok
        print(
            f"CSV export: {export['rows']} rows, {export['mb']:.0f} MB in {export['seconds']:.1f} s "
            f"(first byte after {export['first_byte'] * 1000:.0f} ms; target < "
            f"{EXPORT_SECONDS:.0f} s: {'ok' if ok else 'MISSED'}); worker RSS "
            f"{export['baseline_mb']:.0f} MB before, peak {export['peak_mb']:.0f} MB during"
        )
        emit("api bounces", "CSV export", round(export["seconds"], 1), unit="s",
             target=f"< {EXPORT_SECONDS:.0f}, every row", passed=ok,
             note=f"{export['rows']:,} rows; worker RSS {export['baseline_mb']:.0f}"
             f" -> peak {export['peak_mb']:.0f} MB")  # fmt: skip
    finally:
        stop(server)
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
