"""Benchmark: POST /webhooks/bounce under gunicorn on PostgreSQL, against a floor.

Targets (issue 19): stmails/floor >= 0.7 in requests/s, p99 under 50 ms, every
200 answer a stored event, each event recorded as one bounce (none twice).

The floor is the least a Django view can do for this request (bench/floor/: a
token check, a JSON parse, one INSERT, no middleware), run under the same
gunicorn settings, driven by the same wrk script, in the same run: the two
servers run side by side and take turns (--rounds), and the ratio is that of
the totals, so drift in the machine's speed moves both alike. Both on DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/stmails_bench), 10,000 subscribers and an
API user; wrk (Debian package `wrk`) posts the documented body (meta as an
escaped JSON string, default actions, mixed types). A Celery worker on Redis
(CELERY_BROKER_URL, default redis://127.0.0.1:6379/14, flushed) records the
stored events while the load runs, niced as a deployment would; after the load
the script waits for it to finish and checks exactly-once. Prints req/s,
latency percentiles, the ratio and the checks; exits 1 when a target is missed.

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
    emit,
    floor_rows,
    free_port,
    fresh_api_user,
    setup_django,
    start_floor,
    start_gunicorn,
    start_worker,
    stop,
)

SUBSCRIBERS = 10_000
TARGET_RATIO = 0.7
TARGET_P99_MS = 50.0
# A database no test or other bench uses (tests/campaigns uses 11 with real workers).
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/14"

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
  return wrk.format(nil, "%(path)s", nil, body)
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
        # Every bounce goes below, so every event pointing at one goes
        # first, whichever bench stored it (make bench shares one database).
        cursor.execute("DELETE FROM webhook_events")
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


def warm_up(lua_path: str, port: int, args: argparse.Namespace) -> None:
    """Every worker opens its database connection and imports lazily."""
    base = ["wrk", "-t2", f"-c{args.connections}", "--latency", "-s", lua_path]
    subprocess.run(
        [*base, "-d3s", f"http://127.0.0.1:{port}"], capture_output=True, check=True
    )
    time.sleep(2)  # the warm-up's last requests finish before the count


def run_wrk(lua_path: str, port: int, seconds: int, args: argparse.Namespace) -> str:
    base = ["wrk", "-t2", f"-c{args.connections}", "--latency", "-s", lua_path]
    return subprocess.run(
        [*base, f"-d{seconds}s", f"http://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def combined(runs: list[dict]) -> dict:
    """The rounds as one run: rates from the totals (the rounds last equally
    long), latency percentiles the worst round's, so a target met is met in
    every round."""
    total = {
        key: sum(r[key] for r in runs)
        for key in ("requests", "non2xx", "socket_errors")
    }
    total["rps"] = sum(r["rps"] for r in runs) / len(runs)
    for key in ("p50", "p90", "p99"):
        total[key] = max(r[key] for r in runs)
    return total


def lua_file(path: str, auth: str) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(LUA % {"subscribers": SUBSCRIBERS, "auth": auth, "path": path})
    return lua.name


def inbox_counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, COUNT(*) FROM webhook_events WHERE provider = 'webhook'"
            " GROUP BY status"
        )
        counts = dict(cursor.fetchall())
        cursor.execute(
            "SELECT COUNT(*), COUNT(DISTINCT event_key) FROM bounces"
            " WHERE event_key LIKE 'webhook:%%'"
        )
        counts["bounces"], counts["distinct"] = cursor.fetchone()
    counts["events"] = sum(v for k, v in counts.items() if k in STATUSES)
    return counts


STATUSES = ("received", "processed", "failed", "ignored")


def flush_broker(url: str) -> None:
    if url.startswith("redis"):
        import redis

        redis.Redis.from_url(url).flushdb()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20, help="of load, each")
    parser.add_argument(
        "--rounds", type=int, default=4, help="turns the floor and stmails take"
    )
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument(
        "--threads", type=int, default=1, help="with --worker-class gthread"
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--worker-concurrency", type=int, default=1)
    parser.add_argument("--drain-timeout", type=float, default=300.0)
    parser.add_argument(
        "--worker-during-load",
        action="store_true",
        help="run the Celery worker during the load (it shares the cores)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")

    os.environ.setdefault("CELERY_BROKER_URL", DEFAULT_BROKER_URL)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    url = configure("stmails-bench-webhook-")
    flush_broker(os.environ["CELERY_BROKER_URL"])
    setup_django()
    auth = prepare()
    var = Path(os.environ["STMAILS_VAR_DIR"])
    gunicorn_opts = (args.workers, args.worker_class, args.threads)
    stmails_lua = lua_file("/webhooks/bounce", auth)
    floor_lua = lua_file("/floor", auth)
    floor_port, port = free_port(), free_port()
    # Both servers run side by side and take turns under the same load, round
    # after round: a sync worker waiting for a request costs nothing, and a
    # machine whose speed drifts (other work, CPU boost) moves both alike, so
    # the ratio is the two totals', not that of two moments.
    floor_server = start_floor(
        floor_port,
        args.workers,
        var / "floor.log",
        auth,
        worker_class=args.worker_class,
        threads=args.threads,
    )
    server = start_gunicorn(
        port, args.workers, var / "gunicorn.log", *gunicorn_opts[1:]
    )
    worker = None
    if args.worker_during_load:
        worker = start_worker(args.worker_concurrency, var / "worker.log")
    floor_runs, runs = [], []
    try:
        warm_up(floor_lua, floor_port, args)
        warm_up(stmails_lua, port, args)
        rows_before = floor_rows()
        before = inbox_counts()
        seconds = max(1, round(args.seconds / args.rounds))
        for _ in range(args.rounds):
            floor_runs.append(parse_wrk(run_wrk(floor_lua, floor_port, seconds, args)))
            time.sleep(1)  # requests cut by wrk's deadline finish on the server
            runs.append(parse_wrk(out := run_wrk(stmails_lua, port, seconds, args)))
            time.sleep(1)
        time.sleep(1)
        floor_stored = floor_rows() - rows_before
        stored = inbox_counts()["events"] - before["events"]
        if worker is None:
            # It takes the groups the web processes queued on the broker.
            worker = start_worker(args.worker_concurrency, var / "worker.log")
        deadline = time.monotonic() + args.drain_timeout
        while (after := inbox_counts()).get("received", 0) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.5)
        time.sleep(1)  # anything recorded twice would show up now
        after = inbox_counts()
    finally:
        stop(server)
        stop(floor_server)
        if worker is not None:
            stop(worker)
        os.unlink(stmails_lua)
        os.unlink(floor_lua)
    floor, result = combined(floor_runs), combined(runs)
    ok = result["requests"] - result["non2xx"]
    cut = stored - ok
    cut_max = args.connections * args.rounds
    ratio = result["rps"] / floor["rps"] if floor["rps"] else 0.0
    round_ratios = [r["rps"] / f["rps"] for f, r in zip(floor_runs, runs, strict=True)]
    # The warm-up's events count too: the table held none of this kind before.
    new_bounces = after["bounces"]
    processed = after.get("processed", 0)
    print(out)  # the last round's wrk output
    print(
        f"database: {url}\ngunicorn: {args.workers} {args.worker_class} workers "
        f"x {args.threads} thread(s); "
        f"wrk: 2 threads, {args.connections} connections, {args.rounds} rounds of "
        f"{seconds} s each for the floor then stmails; "
        f"Celery worker: concurrency {args.worker_concurrency}, niced, "
        f"{'during' if args.worker_during_load else 'after'} the load"
    )
    print(
        f"floor (bench/floor: token, JSON, one INSERT): {floor['rps']:.0f} requests/s; "
        f"p50 {floor['p50']:.1f} ms, p99 {floor['p99']:.1f} ms; rows {floor_stored}"
    )
    print(
        "per round, stmails/floor: "
        + ", ".join(
            f"{r['rps']:.0f}/{f['rps']:.0f} = {r['rps'] / f['rps']:.2f}"
            for f, r in zip(floor_runs, runs, strict=True)
        )  # fmt: skip
    )
    print(
        f"stmails: {result['rps']:.0f} requests/s; "
        f"p50 {result['p50']:.1f} ms, p90 {result['p90']:.1f} ms, "
        f"p99 {result['p99']:.1f} ms (target < {TARGET_P99_MS:.0f} ms; the worst round's)"
    )
    print(f"stmails/floor: {ratio:.2f} (target >= {TARGET_RATIO})")
    print(
        f"200 answers: {ok}; errors: {result['non2xx']} non-2xx, {result['socket_errors']} "
        f"socket; events stored: {stored} (+{cut} requests cut by wrk's deadline, "
        f"at most {cut_max})"
    )
    print(
        f"worker: {processed} events processed, {new_bounces} bounces recorded "
        f"({after['distinct']} distinct keys) for {after['events']} events "
        "(warm-up included), "
        f"{after.get('received', 0)} still waiting, {after.get('failed', 0)} failed"
    )
    exactly_once = (
        new_bounces == processed == after["events"]
        and after["bounces"] == after["distinct"]
        and not after.get("received")
    )
    passed = (
        ratio >= TARGET_RATIO
        and result["p99"] < TARGET_P99_MS
        and result["non2xx"] == 0
        and result["socket_errors"] == 0
        and 0 <= cut <= cut_max
        and exactly_once
    )
    name = "bounce webhook"
    emit(name, "stmails/floor", round(ratio, 3), target=f">= {TARGET_RATIO}",
         passed=ratio >= TARGET_RATIO,
         note=f"{result['rps']:.0f} vs floor {floor['rps']:.0f} req/s, rounds "
              + "-".join(f"{x:.2f}" for x in sorted(round_ratios)))  # fmt: skip
    emit(name, "requests/s", round(result["rps"]), unit="req/s",
         floor=round(floor["rps"]))  # fmt: skip
    emit(name, "p99", result["p99"], unit="ms", target=f"< {TARGET_P99_MS:.0f}",
         floor=floor["p99"], passed=result["p99"] < TARGET_P99_MS)  # fmt: skip
    emit(name, "stored = 200s, recorded once", stored, target="exactly once",
         passed=exactly_once and 0 <= cut <= cut_max)  # fmt: skip
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
