"""Benchmark: parse_message over the bounce corpus (tests/fixtures/bounces and its
sub-folders).

Targets: at least 1,500 emails/s in one process (start-up excluded; judged on
the process's CPU time, so that other load on the machine does not count) with flat
memory (peak RSS after many rounds no more than 10 MB above its value after the
warm-up round). Also reports accuracy against tests/fixtures/bounces/expected.json:
recipients found vs expected, and type agreement for the recipients found.

Pure parsing: no database, so DATABASE_URL is ignored. Exits 1 when a target is
missed (speed, memory, or accuracy below 95 % recipients / 95 % types).

    .venv/bin/python bench/bench_parse_bounce.py [--rounds 40]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import emit  # noqa: E402

from bounces.parsing.message import parse_message  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "bounces"
TARGET_PER_SECOND = 1_500
MAX_RSS_GROWTH_MB = 10.0
MIN_ACCURACY = 95.0


def rss_mb() -> float:
    """Current resident set size (Linux /proc), falling back to the peak."""
    try:
        with open(f"/proc/{os.getpid()}/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1_048_576
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def accuracy(
    messages: dict[str, bytes], expected: dict
) -> tuple[int, int, int, int, int]:
    """(expected recipients, found of them, extra found, typed right, typed total)."""
    want_total = found = extra = typed_ok = 0
    for name, raw in messages.items():
        want = {e["email"]: e["type"] for e in expected.get(name, [])}
        got = {e.email.lower(): e.type for e in parse_message(raw).events}
        want_total += len(want)
        found += len(want.keys() & got.keys())
        extra += len(got.keys() - want.keys())
        typed_ok += sum(
            1 for email in want.keys() & got.keys() if want[email] == got[email]
        )
    return want_total, found, extra, typed_ok, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40, help="passes over the corpus")
    args = parser.parse_args()

    expected = json.loads((CORPUS / "expected.json").read_text())
    # Sub-folders too (sisimai/...): expected.json names each by its relative path.
    messages = {
        p.relative_to(CORPUS).as_posix(): p.read_bytes()
        for p in sorted(CORPUS.rglob("*.eml"))
    }
    size_kb = sum(len(m) for m in messages.values()) / 1024

    # Warm-up round: imports, regex compilation and caches are start-up, not speed.
    for raw in messages.values():
        parse_message(raw)
    rss_start = rss_mb()

    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(args.rounds):
        for raw in messages.values():
            parse_message(raw)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    rss_end = rss_mb()

    count = args.rounds * len(messages)
    # The target is judged on CPU time: on a shared machine the wall clock also
    # counts the time other processes held the CPU. Both are printed.
    per_second = count / cpu
    wall_per_second = count / elapsed
    want, found, extra, typed_ok, typed = accuracy(messages, expected)
    recall = 100.0 * found / want if want else 100.0
    type_agreement = 100.0 * typed_ok / typed if typed else 100.0
    load = os.getloadavg()

    print(f"corpus: {len(messages)} messages, {size_kb:.0f} KiB; rounds: {args.rounds}")
    print(
        f"speed: {per_second:,.0f} emails/s of CPU time ({count} parses in {cpu:.2f} s "
        f"CPU; target >= {TARGET_PER_SECOND:,}); wall clock {wall_per_second:,.0f}/s "
        f"({elapsed:.2f} s)"
    )
    print(
        f"memory: RSS {rss_start:.1f} MB after warm-up, {rss_end:.1f} MB after "
        f"{count} parses (growth {rss_end - rss_start:+.1f} MB; limit "
        f"{MAX_RSS_GROWTH_MB:.0f} MB)"
    )
    print(
        f"accuracy: recipients found {found}/{want} ({recall:.1f} %), "
        f"unexpected recipients {extra}, type agreement {typed_ok}/{typed} "
        f"({type_agreement:.1f} %)"
    )
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

    failures = []
    if per_second < TARGET_PER_SECOND:
        failures.append(f"speed {per_second:,.0f}/s below {TARGET_PER_SECOND:,}/s")
    if rss_end - rss_start > MAX_RSS_GROWTH_MB:
        failures.append(f"memory grew {rss_end - rss_start:.1f} MB")
    if recall < MIN_ACCURACY or type_agreement < MIN_ACCURACY:
        failures.append("accuracy below 95 %")
    for failure in failures:
        print(f"MISSED: {failure}")
    name, growth = "parse_bounce", rss_end - rss_start
    emit(name, "speed (CPU time)", round(per_second), unit="emails/s",
         target=f">= {TARGET_PER_SECOND:,}", passed=per_second >= TARGET_PER_SECOND,
         note=f"{len(messages)} messages; wall clock {wall_per_second:,.0f}/s")  # fmt: skip
    emit(name, "memory growth", round(growth, 1), unit="MB",
         target=f"<= {MAX_RSS_GROWTH_MB:.0f}", passed=growth <= MAX_RSS_GROWTH_MB)  # fmt: skip
    emit(name, "recipients found", round(recall, 1), unit="%",
         target=f">= {MIN_ACCURACY:.0f}", passed=recall >= MIN_ACCURACY)  # fmt: skip
    emit(name, "type agreement", round(type_agreement, 1), unit="%",
         target=f">= {MIN_ACCURACY:.0f}", passed=type_agreement >= MIN_ACCURACY)  # fmt: skip
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
