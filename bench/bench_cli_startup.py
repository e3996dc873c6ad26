"""Benchmark: how long `manage.py parse_bounce` and `parse_webhook` take to start.

Target (issue 19): each command, parsing one small file, finishes in under
0.5 s. Floor: `python -c pass`, the interpreter alone, timed the same way in
the same run; the ratio says how much the command adds. Each is run
`--runs` times (default 10) after one warm-up run (the OS file cache);
prints the best and the median wall-clock time. No database needed.

    .venv/bin/python bench/bench_cli_startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from harness import ROOT, emit

TARGET_S = 0.5
BOUNCE = ROOT / "tests" / "fixtures" / "bounces" / "arf_abuse_no_rcpt_to_header.eml"
WEBHOOK = ROOT / "tests" / "fixtures" / "webhooks" / "postmark"


def timed(cmd: list[str], runs: int) -> list[float]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    python = sys.executable
    webhook_file = next(p for p in sorted(WEBHOOK.glob("*.json")) if "." not in p.stem)
    commands = {
        "python -c pass (floor)": [python, "-c", "pass"],
        "parse_bounce": [python, "manage.py", "parse_bounce", "--json", str(BOUNCE)],
        "parse_webhook": [
            python,
            "manage.py",
            "parse_webhook",
            "postmark",
            str(webhook_file),
            "--json",
        ],
    }
    results = {name: timed(cmd, args.runs) for name, cmd in commands.items()}
    floor = min(results["python -c pass (floor)"])
    passed = True
    print(
        f"{'command':<24} {'best':>8} {'median':>8} {'x floor':>8}  target < {TARGET_S} s"
    )
    for name, times in results.items():
        best, median = min(times), statistics.median(times)
        print(f"{name:<24} {best:8.3f} {median:8.3f} {best / floor:8.1f}")
        if name.endswith("(floor)"):
            continue
        ok = median < TARGET_S
        passed = passed and ok
        emit("cli startup", name, round(median, 3), unit="s", target=f"< {TARGET_S}",
             floor=round(floor, 3), passed=ok,
             note=f"best {best:.3f} s, x{best / floor:.1f} the floor")  # fmt: skip
    print(f"load average: {os.getloadavg()[0]:.2f}")
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
