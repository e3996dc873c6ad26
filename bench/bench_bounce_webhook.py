"""Benchmark: POST /webhooks/bounce under gunicorn on PostgreSQL.

Targets: at least 500 requests/s sustained, p99 under 50 ms, no request lost
(every 200 answer is a stored bounce row).

Starts gunicorn on a free port against DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/stmails_bench), creates 10,000
subscribers and an API user, then drives the webhook with wrk (Debian package
`wrk`) and a Lua script posting the documented body (meta as an escaped JSON
string, default actions, mixed types). Prints req/s, latency percentiles and the
row count check; exits 1 when a target is missed.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/stmails_bench_f \\
        .venv/bin/python bench/bench_bounce_webhook.py [--seconds 20] [--workers 3]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import (  # noqa: E402 (bench/ is the script's directory)
    configure,
    free_port,
    fresh_api_user,
    setup_django,
    start_gunicorn,
    stop,
)

SUBSCRIBERS = 10_000
TARGET_RPS = 500
TARGET_P99_MS = 50.0

LUA = r"""
local n = %(subscribers)d
local types = {"soft", "soft", "soft", "hard", "complaint"}
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "token %(auth)s"
setup = function(thread)
  thread:set("seed", math.random(1, 1000000))
end
init = function(args)
  math.randomseed(seed + os.time())
end
request = function()
  counter = counter + 1
  local i = math.random(0, n - 1)
  local body = string.format(
    '{"email": "bench%%d@example.com", "campaign_uuid": "9f86b50d-5711-41c8-ab03-bc91c43d711b", '
    .. '"source": "bench", "type": "%%s", "meta": "{\\"additional\\": \\"info %%d\\"}"}',
    i, types[math.random(#types)], counter)
  return wrk.format(nil, "/webhooks/bounce", nil, body)
end
"""


# --- this benchmark ---------------------------------------------------------------


def prepare() -> str:
    from django.db import connection

    from bounces.models import Bounce, BounceAction
    from stmails.config import update_settings
    from subscribers.models import Subscriber

    # Raw deletes: the ORM's cascade collector would load every id of the
    # million bounces other benchmarks leave in this database.
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {BounceAction._meta.db_table}")  # noqa: S608
        cursor.execute(f"DELETE FROM {Bounce._meta.db_table}")  # noqa: S608
    Subscriber.objects.filter(email__startswith="bench").delete()
    Subscriber.objects.bulk_create(
        (
            Subscriber(email=f"bench{i}@example.com", name=f"B {i}")
            for i in range(SUBSCRIBERS)
        ),
        batch_size=5000,
    )
    # Default actions (hard and complaint blocklist at 1, soft none at 2).
    update_settings({"bounce.enabled": True, "bounce.webhooks_enabled": True})
    return fresh_api_user("bench")


def parse_wrk(out: str) -> dict:
    def ms(value: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    pct = {p: ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M)}
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": requests,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0,
        "p50": pct.get("50"),
        "p90": pct.get("90"),
        "p99": pct.get("99"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument(
        "--threads", type=int, default=1, help="with --worker-class gthread"
    )
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")

    url = configure("stmails-bench-webhook-")
    setup_django()
    auth = prepare()
    port = free_port()
    log_path = Path(os.environ["STMAILS_VAR_DIR"]) / "gunicorn.log"
    server = start_gunicorn(
        port, args.workers, log_path, args.worker_class, args.threads
    )
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write(LUA % {"subscribers": SUBSCRIBERS, "auth": auth})
        base = ["wrk", "-t2", f"-c{args.connections}", "--latency", "-s", lua.name]
        # Warm-up: every worker opens its database connection and imports lazily.
        subprocess.run(
            [*base, "-d3s", f"http://127.0.0.1:{port}"], capture_output=True, check=True
        )
        time.sleep(2)  # the warm-up's last requests finish before the count
        from bounces.models import Bounce

        before = Bounce.objects.count()
        out = subprocess.run(
            [*base, f"-d{args.seconds}s", f"http://127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        time.sleep(2)  # requests cut by wrk's deadline finish on the server
        rows = Bounce.objects.count() - before
    finally:
        stop(server)
        os.unlink(lua.name)
    result = parse_wrk(out)
    ok = result["requests"] - result["non2xx"]
    cut = rows - ok
    print(out)
    print(
        f"database: {url}\ngunicorn: {args.workers} {args.worker_class} workers "
        f"x {args.threads} thread(s); "
        f"wrk: 2 threads, {args.connections} connections, {args.seconds} s"
    )
    print(
        f"requests/s: {result['rps']:.0f} (target >= {TARGET_RPS}); "
        f"p50 {result['p50']:.1f} ms, p90 {result['p90']:.1f} ms, "
        f"p99 {result['p99']:.1f} ms (target < {TARGET_P99_MS:.0f} ms)"
    )
    print(
        f"200 answers: {ok}; errors: {result['non2xx']} non-2xx, {result['socket_errors']} "
        f"socket; bounce rows stored: {rows} (+{cut} requests cut by wrk's deadline, "
        f"at most {args.connections})"
    )
    passed = (
        result["rps"] >= TARGET_RPS
        and result["p99"] < TARGET_P99_MS
        and result["non2xx"] == 0
        and result["socket_errors"] == 0
        and 0 <= cut <= args.connections
    )
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
