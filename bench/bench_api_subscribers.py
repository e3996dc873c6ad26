"""Benchmark: GET /api/subscribers?page=N&per_page=100 with 1,000,000 subscribers.

Target: p95 under 100 ms. Fills DATABASE_URL (PostgreSQL; default
postgresql://postgres@127.0.0.1:5432/stmails_bench) with 1,000,000 subscribers,
5 lists and 1,333,334 memberships by INSERT ... SELECT generate_series (kept
between runs; --refill rebuilds them), starts gunicorn with 2 sync workers on a
free loopback port, and times requests made with an API user's token, one at a
time, on pages spread over the whole table (seeded, so runs are comparable).
Prints p50/p95/p99 in ms; exits 1 when p95 >= 100 ms.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/stmails_bench \\
        .venv/bin/python bench/bench_api_subscribers.py [--requests 300] [--refill]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from harness import configure as harness_configure  # noqa: E402
from harness import (  # noqa: E402 (bench/ is the script's directory)
    emit,
    free_port,
    fresh_api_user,
    setup_django,
    start_gunicorn,
    stop,
)

SUBSCRIBERS = 1_000_000
LISTS = 5
PER_PAGE = 100
TARGET_P95_MS = 100.0

FILL_SQL = [
    """DELETE FROM subscriber_lists
       WHERE subscriber_id IN (SELECT id FROM subscribers WHERE email LIKE 'sb%%@bench.example')
          OR list_id IN (SELECT id FROM lists WHERE name LIKE 'Subscribers bench %%')""",
    "DELETE FROM subscribers WHERE email LIKE 'sb%%@bench.example'",
    "DELETE FROM lists WHERE name LIKE 'Subscribers bench %%'",
    """INSERT INTO lists (uuid, name, type, optin, tags, description, created_at, updated_at,
                          internal, status)
       SELECT gen_random_uuid(), 'Subscribers bench ' || g,
              CASE WHEN g %% 2 = 0 THEN 'public' ELSE 'private' END,
              CASE WHEN g %% 3 = 0 THEN 'double' ELSE 'single' END,
              '["bench"]', '', now(), now(), false, 'active'
       FROM generate_series(1, %(lists)s) g""",
    # created_at spread over ~3 years, so ordering by it is realistic.
    """INSERT INTO subscribers (uuid, email, name, attribs, status, created_at, updated_at)
       SELECT gen_random_uuid(), 'sb' || g || '@bench.example', 'Bench subscriber ' || g,
              jsonb_build_object('city', (ARRAY['Berlin', 'Lyon', 'Oslo'])[1 + g %% 3],
                                 'n', g),
              CASE WHEN g %% 50 = 0 THEN 'blocklisted'
                   WHEN g %% 20 = 0 THEN 'disabled' ELSE 'enabled' END,
              now() - make_interval(secs => (%(subscribers)s - g) * 90),
              now() - make_interval(secs => (%(subscribers)s - g) * 90)
       FROM generate_series(1, %(subscribers)s) g""",
    # Every subscriber in one list, every third one in a second list too.
    """WITH bench_lists AS (
         SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn
         FROM lists WHERE name LIKE 'Subscribers bench %%'),
       subs AS (
         SELECT id, row_number() OVER (ORDER BY id) AS g
         FROM subscribers WHERE email LIKE 'sb%%@bench.example')
       INSERT INTO subscriber_lists (subscriber_id, list_id, status, meta, created_at, updated_at)
       SELECT subs.id, bench_lists.id,
              (ARRAY['confirmed', 'unconfirmed', 'unsubscribed'])[1 + subs.g %% 3],
              '{}', now(), now()
       FROM subs JOIN bench_lists
         ON bench_lists.rn = subs.g %% %(lists)s
         OR (subs.g %% 3 = 0 AND bench_lists.rn = (subs.g + 1) %% %(lists)s)""",
    # Set the visibility map too, as autovacuum would, so counts and id scans
    # can be index-only from the first request.
    "VACUUM ANALYZE subscribers",
    "VACUUM ANALYZE subscriber_lists",
    "VACUUM ANALYZE lists",
]


def configure() -> str:
    """Environment for Django and gunicorn; returns the database URL."""
    os.environ.setdefault("CACHE_URL", "locmem://")
    os.environ["LOG_LEVEL"] = "WARNING"
    return harness_configure("stmails-bench-subscribers-")


def fill(refill: bool) -> None:
    from django.db import connection, transaction

    from subscribers.models import Subscriber

    stored = Subscriber.objects.filter(
        email__startswith="sb", email__endswith="@bench.example"
    ).count()
    if stored == SUBSCRIBERS and not refill:
        print(f"{SUBSCRIBERS:,} bench subscribers already stored (--refill rebuilds)")
        return
    print(f"filling {SUBSCRIBERS:,} subscribers, {LISTS} lists and memberships ...")
    started = time.monotonic()
    params = {"subscribers": SUBSCRIBERS, "lists": LISTS}
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in FILL_SQL[:-3]:
            cursor.execute(sql, params)
    with connection.cursor() as cursor:
        for sql in FILL_SQL[-3:]:
            cursor.execute(sql)
    print(f"filled in {time.monotonic() - started:.1f} s")


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1)]


def time_pages(port: int, auth: str, pages: list[int]) -> list[float]:
    headers = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}
    timings = []
    for page in pages:
        path = f"/api/subscribers?page={page}&per_page={PER_PAGE}"
        started = time.perf_counter()
        status, body = get(port, path, headers)
        timings.append((time.perf_counter() - started) * 1000)
        if status != 200:
            sys.exit(f"GET {path}: HTTP {status}: {body[:300]!r}")
        data = json.loads(body)["data"]
        if len(data["results"]) != PER_PAGE or data["total"] < SUBSCRIBERS:
            sys.exit(
                f"GET {path}: {len(data['results'])} results, total {data['total']}"
            )
    return timings


def summary(name: str, timings: list[float]) -> str:
    return (
        f"{name:<22} n={len(timings):<4} p50={percentile(timings, 50):6.1f} ms  "
        f"p95={percentile(timings, 95):6.1f} ms  p99={percentile(timings, 99):6.1f} ms  "
        f"mean={statistics.fmean(timings):6.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--refill", action="store_true")
    args = parser.parse_args()

    url = configure()
    setup_django()
    print(
        f"database: {urlsplit(url)._replace(netloc=urlsplit(url).hostname or '').geturl()}"
    )
    fill(args.refill)
    auth = fresh_api_user("bench-subscribers")

    from subscribers.models import Subscriber

    total = Subscriber.objects.count()
    last_page = total // PER_PAGE
    rng = random.Random(3)
    # Three in four requests anywhere in the table, one in four on the first
    # ten pages (what the UI shows most).
    pages = [
        rng.randint(1, 10) if rng.random() < 0.25 else rng.randint(1, last_page)
        for _ in range(args.requests)
    ]

    log_path = Path(os.environ["STMAILS_VAR_DIR"]) / "gunicorn.log"
    port = free_port()
    proc = start_gunicorn(port, 2, log_path)
    try:
        time_pages(port, auth, [1, 2, last_page, last_page // 2] * 3)  # warm-up
        timings = time_pages(port, auth, pages)
    finally:
        stop(proc)

    first = [t for t, p in zip(timings, pages, strict=True) if p <= 10]
    deep = [t for t, p in zip(timings, pages, strict=True) if p > 10]
    print(
        f"{total:,} subscribers in the table; pages of {PER_PAGE}, up to page {last_page:,}"
    )
    print(summary("all pages", timings))
    if first:
        print(summary("pages 1-10", first))
    if deep:
        print(summary(f"pages 11-{last_page}", deep))
    p95 = percentile(timings, 95)
    emit("api subscribers", f"GET /api/subscribers?per_page={PER_PAGE} p95", round(p95, 1),
         unit="ms", target=f"< {TARGET_P95_MS:.0f}", passed=p95 < TARGET_P95_MS,
         note=f"{total:,} subscribers; p99 {percentile(timings, 99):.1f} ms")  # fmt: skip
    if p95 >= TARGET_P95_MS:
        print(f"FAIL: p95 {p95:.1f} ms >= {TARGET_P95_MS:.0f} ms")
        return 1
    print(f"OK: p95 {p95:.1f} ms < {TARGET_P95_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
