"""CPU and wall time per POST /webhooks/bounce, the WSGI application called in a loop.

No server, no load generator: the request goes through stmails.wsgi.application
(the lean stack, the lean view, the INSERT on PostgreSQL) in this process, and
through the floor (bench/floor) in a child process, with the same bodies as
bench_bounce_webhook.py. A tool for finding what a request costs, not a target:
`--profile` prints cProfile's top functions for stmails. Events it stores are
deleted afterwards (the worker never sees them).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/stmails_bench \\
        .venv/bin/python bench/profile_bounce_webhook.py [--requests 3000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TYPES = ("soft", "soft", "soft", "hard", "complaint")
SUBSCRIBERS = 10_000  # bench_bounce_webhook.py's bench<i>@example.com


def environ(path: str, auth: str, i: int) -> dict:
    body = json.dumps(
        {
            "email": f"bench{random.randrange(SUBSCRIBERS)}@example.com",  # noqa: S311
            "campaign_uuid": "9f86b50d-5711-41c8-ab03-bc91c43d711b",
            "source": "bench",
            "type": random.choice(TYPES),  # noqa: S311
            "meta": json.dumps({"additional": f"info {i}"}),
        }
    ).encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": f"token {auth}",
        "HTTP_HOST": "127.0.0.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }


def measure(app, path: str, auth: str, n: int) -> tuple[float, float, set[str]]:
    """(CPU ms, wall ms) per request after a warm-up, and the statuses seen."""
    statuses: set[str] = set()

    def start_response(status, headers, exc_info=None):
        statuses.add(status)

    def run(count: int) -> None:
        for i in range(count):
            for _ in app(environ(path, auth, i), start_response):
                pass

    run(300)
    cpu, wall = time.process_time(), time.perf_counter()
    run(n)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if "--profile" in sys.argv:
        profile = cProfile.Profile()
        profile.runcall(run, n)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
    return cpu / n * 1000, wall / n * 1000, statuses


def floor_child(n: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.floor.settings"
    from django.core.wsgi import get_wsgi_application

    cpu, wall, statuses = measure(
        get_wsgi_application(), "/floor", os.environ["FLOOR_TOKEN"], n
    )
    print(json.dumps({"cpu": cpu, "wall": wall, "statuses": sorted(statuses)}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--floor-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_child:
        floor_child(args.requests)
        return 0
    sys.path.insert(0, str(ROOT / "bench"))
    from harness import FLOOR_TABLE, configure, fresh_api_user, setup_django

    configure("stmails-bench-profile-")
    setup_django()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id bigserial PRIMARY KEY,"
            " payload jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute("SELECT COUNT(*) FROM subscribers WHERE email LIKE 'bench%%'")
        if cursor.fetchone()[0] < SUBSCRIBERS:
            sys.exit("run bench_bounce_webhook.py once first (its subscribers)")
    auth = fresh_api_user("bench-profile")
    from stmails.wsgi import application

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM webhook_events")
        (last,) = cursor.fetchone()
    cpu, wall, statuses = measure(application, "/webhooks/bounce", auth, args.requests)
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM webhook_events WHERE id > %s AND provider = 'webhook'", [last]
        )
    child = subprocess.run(
        [sys.executable, __file__, "--floor-child", "--requests", str(args.requests)],
        cwd=ROOT,
        env={**os.environ, "FLOOR_TOKEN": auth},
        capture_output=True,
        text=True,
        check=True,
    )
    floor = json.loads(child.stdout.strip().splitlines()[-1])
    print(
        f"stmails: CPU {cpu:.3f} ms, wall {wall:.3f} ms per request; {sorted(statuses)}"
    )
    print(
        f"floor:   CPU {floor['cpu']:.3f} ms, wall {floor['wall']:.3f} ms per request;"
        f" {floor['statuses']}"
    )
    print(
        f"floor/stmails: CPU {floor['cpu'] / cpu:.2f}, wall {floor['wall'] / wall:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
