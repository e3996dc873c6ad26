"""Benchmark: GET /link/{link}/{campaign}/{subscriber} (the click redirect)
under gunicorn on PostgreSQL, against a floor in the same run.

The floor is the least a Django view can do for a click in the same server
(tracking_floor_urls.py): one raw INSERT and a redirect. The tracking endpoint
adds reading the privacy settings, the link's URL (cached per process) and
the hit's fields. Targets: redirect p99 within TARGET_RATIO of the floor's
and under TARGET_P99_MS (the absolute one needs a machine that is not busy
with other work: the load average is printed), every 302 a stored hit. Then folds the hits (campaigns.tracking.fold) and reports its rate.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/stmails_bench_t \\
        .venv/bin/python bench/bench_tracking.py [--seconds 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# Server and this script load the floor's settings (which are stmails' own).
os.environ["DJANGO_SETTINGS_MODULE"] = "tracking_floor_settings"
os.environ["PYTHONPATH"] = str(BENCH)

from bench_bounce_webhook import parse_wrk  # noqa: E402
from harness import (  # noqa: E402 (bench/ is the script's directory)
    configure,
    emit,
    free_port,
    setup_django,
    start_gunicorn,
    stop,
)

LINKS = 20
SUBSCRIBERS = 2000
TARGET_P99_MS = 10.0
TARGET_RATIO = 1.5


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


LUA = r"""
local links = {%(links)s}
local subs = {%(subs)s}
local campaign = "%(campaign)s"
local prefix = "%(prefix)s"
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.0"
setup = function(thread)
  thread:set("seed", math.random(1, 1000000))
end
init = function(args)
  math.randomseed(seed + os.time())
end
request = function()
  local path = string.format("/%%s/%%s/%%s/%%s", prefix,
    links[math.random(#links)], campaign, subs[math.random(#subs)])
  return wrk.format("GET", path)
end
"""


def prepare() -> tuple[str, list[str], list[str]]:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from campaigns.models import Campaign, Link
    from subscribers.models import Subscriber

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tracking_hits")
    user = get_user_model()
    if not user.objects.exists():  # else every path leads to /setup
        user.objects.create_superuser("bench", "bench@example.com", uuid.uuid4().hex)
    Subscriber.objects.filter(email__startswith="trackbench").delete()
    subs = Subscriber.objects.bulk_create(
        Subscriber(email=f"trackbench{i}@example.com") for i in range(SUBSCRIBERS)
    )
    campaign, _ = Campaign.objects.get_or_create(name="bench_tracking")
    links = [
        Link.objects.get_or_create(url=f"https://example.org/bench/{i}")[0]
        for i in range(LINKS)
    ]
    return (
        str(campaign.uuid),
        [str(link.uuid) for link in links],
        [str(s.uuid) for s in subs],
    )


def run_wrk(port: int, lua: str, seconds: int, connections: int) -> str:
    base = ["wrk", "-t2", f"-c{connections}", "--latency", "-s", lua]
    return subprocess.run(
        [*base, f"-d{seconds}s", f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def hits() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT kind, COUNT(*) FROM tracking_hits GROUP BY kind")
        return dict(cursor.fetchall())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")

    url = configure("stmails-bench-tracking-")
    setup_django()
    campaign, links, subs = prepare()
    port = free_port()
    log_path = Path(os.environ["STMAILS_VAR_DIR"]) / "gunicorn.log"
    server = start_gunicorn(port, args.workers, log_path)
    scripts = {}
    try:
        for prefix in ("link", "floor"):
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
                f.write(LUA % {
                    "links": ", ".join(f'"{u}"' for u in links),
                    "subs": ", ".join(f'"{u}"' for u in subs),
                    "campaign": campaign, "prefix": prefix,
                })  # fmt: skip
            scripts[prefix] = f.name
        for prefix in scripts:  # warm-up: connections, imports, the link cache
            run_wrk(port, scripts[prefix], 3, args.connections)
        time.sleep(1)
        before = hits()
        # Rounds taking turns: the machine's load drifts, and both sides
        # should meet the same drift. Each side's figures: the median round.
        out: dict[str, list[str]] = {p: [] for p in scripts}
        for _ in range(args.rounds):
            for p, script in scripts.items():
                out[p].append(run_wrk(port, script, args.seconds, args.connections))
        time.sleep(1)
        stored = hits()
    finally:
        stop(server)
        for name in scripts.values():
            os.unlink(name)
    res, requests = {}, {}
    for p, outs in out.items():
        rounds = sorted((parse_wrk(o) for o in outs), key=lambda r: r["p99"])
        res[p] = rounds[len(rounds) // 2]
        requests[p] = sum(r["requests"] for r in rounds)
        res[p]["non2xx"] = sum(r["non2xx"] for r in rounds)
        res[p]["socket_errors"] = sum(r["socket_errors"] for r in rounds)
    print(
        f"database: {url}\ngunicorn: {args.workers} sync workers; wrk: 2 threads, "
        f"{args.connections} connections; {args.rounds} rounds of {args.seconds} s "
        "each side, taking turns (figures: the median round by p99)"
    )
    for p, label in (("link", "tracking /link"), ("floor", "floor (INSERT + 302)")):
        r = res[p]
        print(
            f"{label}: {r['rps']:.0f} clicks/s; p50 {r['p50']:.2f} ms, "
            f"p90 {r['p90']:.2f} ms, p99 {r['p99']:.2f} ms; errors {r['non2xx']} "
            f"non-2xx/3xx, {r['socket_errors']} socket"
        )
    link, floor = res["link"], res["floor"]
    print(
        f"ratio tracking/floor: clicks/s {link['rps'] / floor['rps']:.2f}, "
        f"p99 {link['p99'] / floor['p99']:.2f}"
    )
    new = stored.get("click", 0) - before.get("click", 0)
    print(f"click hits stored: {new} for {requests['link']} requests")

    from django.db import connection

    from campaigns.tracking.fold import fold_hits

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tracking_hits WHERE kind = 'floor'")

    started = time.perf_counter()
    folded = fold_hits(max_batches=1000)
    seconds = time.perf_counter() - started
    print(
        f"fold: {folded.hits} hits in {seconds:.1f} s "
        f"({folded.hits / seconds:.0f} hits/s), {folded.clicks} clicks"
    )
    # wrk does not count the requests its deadline cut; the server still
    # answered (and stored) them.
    rows_ok = 0 <= new - requests["link"] <= args.connections * args.rounds
    clean = link["non2xx"] == 0 and link["socket_errors"] == 0
    near_floor = link["p99"] <= TARGET_RATIO * floor["p99"]
    fast = link["p99"] < TARGET_P99_MS
    print(
        f"targets: p99 <= {TARGET_RATIO} x the floor's: {_met(near_floor)}; "
        f"p99 < {TARGET_P99_MS:.0f} ms: {_met(fast)} (load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs); every 302 stored: "
        f"{_met(rows_ok and clean)}"
    )
    passed = near_floor and fast and rows_ok and clean
    name = "tracking click"
    emit(name, "p99 / floor's p99", round(link["p99"] / floor["p99"], 2),
         target=f"<= {TARGET_RATIO}", passed=near_floor,
         note=f"{link['rps']:.0f} vs floor {floor['rps']:.0f} clicks/s")  # fmt: skip
    emit(name, "p99", link["p99"], unit="ms", target=f"< {TARGET_P99_MS:.0f}",
         floor=floor["p99"], passed=fast)  # fmt: skip
    emit(name, "every 302 a stored hit", new, target="exactly once",
         passed=rows_ok and clean, note=f"{requests['link']:,} requests counted by wrk")  # fmt: skip
    emit(name, "fold", round(folded.hits / seconds), unit="hits/s")
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
