"""Benchmark: parsing listmonk's `query` (subscribers/query_language.py).

Five shapes, each at 512 B, 1 KB, 2 KB and the 4 KB maximum: one long quoted
string, a long IN list, as many OR'ed comparisons as allowed (100, then padded
with whitespace), 32 nested parentheses padded with whitespace, and a mixed
realistic query repeated with AND. The figure is the best of --repeat runs, in
CPU time. Also times refusing a 1 MB query (it must be refused before it is
tokenized).

Targets: linear growth (x8 the text costs at most x16; a quadratic parser would
cost x64), every 4 KB parse under 5 ms, the 1 MB refusal under 1 ms. The floor
is the standard library's `tokenize` reading the same text, printed with the
ratio.

Pure parsing: no database. Exits 1 when a target is missed.

    .venv/bin/python bench/bench_query_parser.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import emit  # noqa: E402

from subscribers.query_ast import QueryError  # noqa: E402
from subscribers.query_language import MAX_LENGTH, parse_query  # noqa: E402

SIZES = [512, 1024, 2048, MAX_LENGTH]
MAX_GROWTH = 16.0
MAX_SECONDS_4KB = 0.005
MAX_SECONDS_REFUSAL = 0.001


def pad(text: str, size: int) -> str:
    return text + " " * max(0, size - len(text))


def long_string(size: int) -> str:
    head = "subscribers.name = '"
    return head + "x" * (size - len(head) - 1) + "'"


def in_list(size: int) -> str:
    head, values = "subscribers.id IN (", []
    while len(head) + sum(len(v) + 1 for v in values) + 8 < size:
        values.append(str(len(values) % 1000))
        if len(values) == 1000:
            break
    return pad(head + ",".join(values) + ")", size)


def many_ors(size: int) -> str:
    terms, text = [], ""
    while len(terms) < 100:
        candidate = " OR ".join([*terms, f"id = {len(terms)}"])
        if len(candidate) > size:
            break
        terms.append(f"id = {len(terms)}")
        text = candidate
    return pad(text, size)


def deep(size: int) -> str:
    return pad("(" * 32 + "id = 1" + ")" * 32, size)


def mixed(size: int) -> str:
    part = (
        "(subscribers.attribs->>'age')::INT > 30 AND email ILIKE '%@example.com' "
        "AND status IN ('enabled', 'disabled') AND created_at > '2024-01-01'"
    )
    parts = [part]
    while len(" AND ".join([*parts, part])) <= size and len(parts) < 25:
        parts.append(part)
    return pad(" AND ".join(parts), size)


SHAPES = {
    "long string": long_string,
    "IN list": in_list,
    "100 ORs": many_ors,
    "deep nesting": deep,
    "mixed": mixed,
}


def best_cpu(func, text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(20):
            func(text)
        best = min(best, (time.process_time() - start) / 20)
    return best


def floor(text: str) -> None:
    for _ in tokenize.generate_tokens(io.StringIO(text).readline):
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per case (best)")
    args = parser.parse_args()
    failed = False
    for name, build in SHAPES.items():
        costs = []
        for size in SIZES:
            text = build(size)
            assert len(text) <= MAX_LENGTH, (name, len(text))
            parse_query(text)  # must parse: the bench measures success paths
            cost = best_cpu(parse_query, text, args.repeat)
            try:
                base = best_cpu(floor, text, args.repeat)
            except (tokenize.TokenError, SyntaxError, IndentationError):
                base = float("nan")
            costs.append(cost)
            top_floor = base
            print(
                f"{name:13} {size:5d} B  parse {cost * 1e3:7.3f} ms  "
                f"floor (tokenize) {base * 1e3:7.3f} ms  ratio {cost / base:5.2f}"
            )
        growth = costs[-1] / costs[0]
        ok = growth <= MAX_GROWTH and costs[-1] <= MAX_SECONDS_4KB
        failed |= not ok
        print(
            f"{name:13} growth x{growth:.1f} for x{SIZES[-1] / SIZES[0]:.0f} the text"
            f" {'ok' if ok else 'MISSED'}"
        )
        emit("query parser", f"{name} at 4 KB", round(costs[-1] * 1e3, 3), unit="ms",
             target=f"< {MAX_SECONDS_4KB * 1e3:.0f} ms, growth <= x{MAX_GROWTH:.0f}",
             floor=round(top_floor * 1e3, 3) if top_floor == top_floor else None,
             passed=ok, note=f"growth x{growth:.1f}")  # fmt: skip
    huge = "(" * 1_000_000

    def refuse(text: str) -> None:
        try:
            parse_query(text)
        except QueryError:
            return
        raise AssertionError("a 1 MB query was accepted")

    cost = best_cpu(refuse, huge, args.repeat)
    ok = cost <= MAX_SECONDS_REFUSAL
    failed |= not ok
    print(f"refusing 1 MB: {cost * 1e3:.3f} ms {'ok' if ok else 'MISSED'}")
    emit("query parser", "refusing 1 MB", round(cost * 1e6, 1), unit="µs",
         target=f"< {MAX_SECONDS_REFUSAL * 1e6:,.0f}", passed=ok)  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
