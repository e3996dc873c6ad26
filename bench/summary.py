"""`make bench`'s closing table: every figure with its target and its floor.

Each bench/*.py that knows its figures appends JSON lines to the file named by
BENCH_RESULTS (harness.emit: bench, figure, value, unit, target, floor, passed,
note); `make bench` points every script at one file and runs this at the end.
A script that failed before emitting anything shows as "no figures" with its
exit status (from the `status` lines the Makefile appends).

    .venv/bin/python bench/summary.py RESULTS_FILE
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def cell(value: object) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def rows(lines: list[dict]) -> list[list[str]]:
    out = []
    for r in lines:
        unit = f" {r['unit']}" if r.get("unit") else ""
        verdict = {True: "ok", False: "MISSED", None: ""}[r.get("passed")]
        out.append(
            [
                r["bench"],
                r["figure"],
                cell(r.get("value")) + unit,
                r.get("target") or "-",
                cell(r.get("floor")) + (unit if r.get("floor") is not None else ""),
                verdict,
                r.get("note") or "",
            ]
        )
    return out


def main(path: str) -> int:
    figures, statuses = [], {}
    for text in Path(path).read_text(encoding="utf-8").splitlines():
        if not text.strip():
            continue
        line = json.loads(text)
        if "status" in line:
            statuses[line["script"]] = line["status"]
        else:
            figures.append(line)
    reported = {f.get("script") for f in figures}
    table = rows(figures)
    header = ["bench", "figure", "value", "target", "floor", "", "note"]
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    print(
        "\n== summary (every figure, its target and the floor measured in the same run)"
    )
    for r in [header, ["-" * w for w in widths], *table]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    silent = [s for s, st in sorted(statuses.items()) if s not in reported]
    if silent:
        print("\nscripts without machine-readable figures (exit status):")
        for script in silent:
            print(f"  {script}: {'ok' if statuses[script] == 0 else 'FAILED'}")
    missed = sum(1 for f in figures if f.get("passed") is False)
    print(f"\n{len(figures)} figures, {missed} targets missed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
