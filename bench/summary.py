"""`make bench`'s closing table: every figure with its target and its floor.

Each bench/*.py that knows its figures appends JSON lines to the file named by
BENCH_RESULTS (harness.emit: bench, figure, value, unit, target, floor, passed,
note); `make bench` points every script at one file and runs this at the end.
A script that ran but emitted nothing (it failed first, or was skipped) shows
as a row of its own, "missing", with its exit status (from the `status` lines
the Makefile appends); a figure whose value is None shows as "missing" too. The
verdict column says "ok" or "MISSED" (no verdict: a figure printed for context).

    .venv/bin/python bench/summary.py RESULTS_FILE
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

MISSING = "missing"
HEADER = ["bench", "figure", "value", "target", "floor", "verdict", "note"]


def cell(value: object) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def rows(lines: list[dict]) -> list[list[str]]:
    out = []
    for r in lines:
        unit = f" {r['unit']}" if r.get("unit") else ""
        verdict = {True: "ok", False: "MISSED", None: ""}[r.get("passed")]
        value = r.get("value")
        out.append(
            [
                r["bench"],
                r["figure"],
                MISSING if value is None else cell(value) + unit,
                r.get("target") or "-",
                cell(r.get("floor")) + (unit if r.get("floor") is not None else ""),
                verdict,
                r.get("note") or "",
            ]
        )
    return out


def silent_rows(figures: list[dict], statuses: dict[str, int]) -> list[list[str]]:
    """A row for each script that ran and emitted nothing: its figures are missing."""
    reported = {f.get("script") for f in figures}
    return [
        [script, "(no figures)", MISSING, "-", "-",
         "ok" if status == 0 else f"FAILED (exit {status})", ""]
        for script, status in sorted(statuses.items())
        if script not in reported
    ]  # fmt: skip


def read(path: str) -> tuple[list[dict], dict[str, int]]:
    """The figures and each script's exit status, in the order they came."""
    figures, statuses = [], {}
    for text in Path(path).read_text(encoding="utf-8").splitlines():
        if not text.strip():
            continue
        line = json.loads(text)
        if "status" in line:
            statuses[line["script"]] = line["status"]
        else:
            figures.append(line)
    return figures, statuses


def render(figures: list[dict], statuses: dict[str, int]) -> str:
    table = rows(figures) + silent_rows(figures, statuses)
    widths = [max(len(r[i]) for r in [HEADER, *table]) for i in range(len(HEADER))]
    out = [
        "",
        "== summary (every figure, its target and the floor measured in the same run)",
    ]
    for r in [HEADER, ["-" * w for w in widths], *table]:
        out.append(
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        )
    missed = sum(1 for f in figures if f.get("passed") is False)
    missing = sum(1 for f in figures if f.get("value") is None)
    missing += len(table) - len(figures)
    failed = sorted(s for s, status in statuses.items() if status != 0)
    out.append("")
    out.append(
        f"{len(figures)} figures, {missed} targets missed, {missing} missing"
        + (f"; scripts that failed: {', '.join(failed)}" if failed else "")
    )
    return "\n".join(out)


def main(path: str) -> int:
    print(render(*read(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
