"""Benchmark: parse_message on hostile messages of 100 KB to 2 MB.

Five shapes (tests/bounces/parsing/hostile.py): a DSN whose Final-Recipient is
a long run of letters without '@', an HTML part holding a long run of '<', a
huge To: line, MIME nesting as deep as the size allows, and a Content-Type
flooded with parameters (a run of ";", then folded "a=1;"). Each is parsed at
100 KB, 200 KB, 400 KB, 800 KB and 2 MB; the figure is the best of --repeat
runs, in CPU time (other load on the machine does not count).

Targets: every 2 MB case under 1 s, and linear growth: going from 100 KB to
2 MB (x20) may cost at most x40 (quadratic matching would cost x400). The floor
is the standard library's MIME parse of the same bytes
(`email.message_from_bytes`), printed with the ratio; it cannot read the deep
nesting at all (RecursionError), which the parser limits first.

Pure parsing: no database, so DATABASE_URL is ignored. Exits 1 when a target is
missed or the real recipient is not found.

    .venv/bin/python bench/bench_hostile_parse.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import email
import os
import sys
import time
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import emit  # noqa: E402

from bounces.parsing.message import parse_message  # noqa: E402
from tests.bounces.parsing.hostile import BUILDERS, EXPECTED  # noqa: E402

SIZES = [100_000, 200_000, 400_000, 800_000, 2_000_000]
MAX_SECONDS_2MB = 1.0
MAX_GROWTH = 40.0  # cost(2 MB) / cost(100 KB), for 20 times the bytes


def best_cpu(func, raw: bytes, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        try:
            result = func(raw)
        except RecursionError as e:
            return float("nan"), e
        best = min(best, time.process_time() - start)
    return best, result


# The floor itself is quadratic on some shapes (a Content-Type parameter flood):
# past this many seconds at one size, the larger sizes skip it.
FLOOR_GIVE_UP = 2.0


def floor_parse(raw: bytes) -> object:
    return email.message_from_bytes(raw, policy=policy.compat32)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (best)")
    args = parser.parse_args()
    parse_message(BUILDERS["huge To: line"](10_000))  # warm-up: imports, regexes

    failures = []
    print(f"{'case':<28} {'size':>9} {'parse':>9} {'floor':>9} {'ratio':>7}  found")
    for name, build in BUILDERS.items():
        costs, floors, all_found = {}, {}, True
        floor_too_slow = False
        for size in SIZES:
            raw = build(size)
            cost, parsed = best_cpu(parse_message, raw, args.repeat)
            if floor_too_slow:
                floor = float("nan")  # quadratic in the standard library: skipped
            else:
                floor, floor_result = best_cpu(floor_parse, raw, args.repeat)
                floor_too_slow = floor == floor and floor > FLOOR_GIVE_UP
            costs[size], floors[size] = cost, floor
            found = [e.email for e in parsed.events] == [EXPECTED]
            floor_text = f"{floor * 1000:7.1f}ms" if floor == floor else "   fails"
            ratio = (
                f"{cost / floor:6.1f}x" if floor == floor and floor > 0 else "    n/a"
            )
            print(
                f"{name:<28} {len(raw) / 1000:7.0f}KB {cost * 1000:7.1f}ms "
                f"{floor_text} {ratio}  {'yes' if found else 'NO'}"
            )
            if not found:
                all_found = False
                failures.append(
                    f"{name} at {size}: recipient not found ({parsed.kind})"
                )
        growth = costs[SIZES[-1]] / max(costs[SIZES[0]], 1e-4)
        print(f"{'':<28} growth 100KB -> 2MB: x{growth:.1f} (limit x{MAX_GROWTH:.0f})")
        if costs[SIZES[-1]] > MAX_SECONDS_2MB:
            failures.append(f"{name}: 2 MB took {costs[SIZES[-1]]:.2f} s")
        if growth > MAX_GROWTH:
            failures.append(f"{name}: growth x{growth:.1f} is not linear")
        top_floor = floors[SIZES[-1]]
        emit("hostile parse", f"{name} at 2 MB", round(costs[SIZES[-1]] * 1000, 1),
             unit="ms", target=f"< {MAX_SECONDS_2MB * 1000:.0f} ms, growth <= x{MAX_GROWTH:.0f}",
             floor=round(top_floor * 1000, 1) if top_floor == top_floor else None,
             passed=costs[SIZES[-1]] <= MAX_SECONDS_2MB and growth <= MAX_GROWTH
             and all_found,
             note=f"growth x{growth:.1f}" + ("" if all_found else ", recipient lost"))  # fmt: skip
    load = os.getloadavg()
    print(
        "floor: email.message_from_bytes (compat32) of the same bytes; "
        "'fails': it raised RecursionError, or took over"
        f" {FLOOR_GIVE_UP:.0f} s at a smaller size (quadratic: not run again)"
    )
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for failure in failures:
        print(f"MISSED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
