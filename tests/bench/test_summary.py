"""`make bench`'s closing table (bench/summary.py) and the lines it reads (harness.emit)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from bench import summary

BENCH = Path(summary.__file__).resolve().parent


def write(path: Path, lines: list[dict]) -> str:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    return str(path)


def figure(**kw) -> dict:
    base = {"script": "bench_x.py", "bench": "x", "figure": "f", "value": 1.0,
            "unit": "", "target": "", "floor": None, "passed": None, "note": ""}  # fmt: skip
    return {**base, **kw}


def row_of(table: str, *cells: str) -> str:
    """The one table line holding every cell, in order."""
    found = [line for line in table.splitlines() if all(c in line for c in cells)]
    assert len(found) == 1, (cells, table)
    line = found[0]
    positions = [line.index(c) for c in cells]
    assert positions == sorted(positions), (cells, line)
    return line


@pytest.fixture
def results(tmp_path):
    return write(
        tmp_path / "results.jsonl",
        [
            figure(script="bench_web.py", bench="bounce webhook", figure="requests/s",
                   value=812, unit="req/s", floor=1140),
            figure(script="bench_web.py", bench="bounce webhook", figure="p99",
                   value=61.4, unit="ms", target="< 50", floor=12.5, passed=False,
                   note="under load"),
            figure(script="bench_parse.py", bench="parse_bounce", figure="speed",
                   value=2459.0, unit="emails/s", target=">= 1,500", passed=True),
            figure(script="bench_parse.py", bench="parse_bounce", figure="accuracy",
                   value=None, unit="%", target=">= 95"),
            {"script": "bench_web.py", "status": 1},
            {"script": "bench_parse.py", "status": 0},
            {"script": "bench_crashed.py", "status": 2},
            {"script": "bench_quiet.py", "status": 0},
        ],
    )  # fmt: skip


def test_every_figure_with_its_target_floor_and_verdict(results):
    table = summary.render(*summary.read(results))
    header = row_of(table, "bench", "figure", "value", "target", "floor", "verdict")
    assert header.split() == ["bench", "figure", "value", "target", "floor",
                              "verdict", "note"]  # fmt: skip
    row_of(table, "bounce webhook", "requests/s", "812 req/s", "1,140 req/s")
    row_of(table, "bounce webhook", "p99", "61.4 ms", "< 50", "12.5 ms", "MISSED",
           "under load")  # fmt: skip
    row_of(table, "parse_bounce", "speed", "2,459 emails/s", ">= 1,500", "ok")
    # The columns line up: every figure's value starts where the header's does.
    column = header.index("value")
    for name in ("requests/s", "p99", "speed", "accuracy"):
        line = row_of(table, name)
        assert line[column - 2 : column] == "  " and line[column] != " ", line


def test_missing_figures_and_silent_scripts_show_as_missing(results):
    table = summary.render(*summary.read(results))
    accuracy = row_of(table, "parse_bounce", "accuracy", "missing", ">= 95")
    assert "ok" not in accuracy.split() and "MISSED" not in accuracy
    row_of(table, "bench_crashed.py", "(no figures)", "missing", "FAILED (exit 2)")
    row_of(table, "bench_quiet.py", "(no figures)", "missing", "ok")
    # Scripts that emitted are not listed again as missing.
    assert "bench_parse.py" not in table and "bench_web.py  " not in table
    last = table.splitlines()[-1]
    assert last == (
        "4 figures, 1 targets missed, 3 missing;"
        " scripts that failed: bench_crashed.py, bench_web.py"
    )


def test_a_clean_run_says_so(tmp_path):
    path = write(tmp_path / "r.jsonl",
                 [figure(passed=True), {"script": "bench_x.py", "status": 0}])  # fmt: skip
    table = summary.render(*summary.read(path))
    assert table.splitlines()[-1] == "1 figures, 0 targets missed, 0 missing"
    assert "(no figures)" not in table


@pytest.fixture
def bench_path(monkeypatch):
    """bench/ on sys.path, as when a script runs (`from harness import emit`)."""
    monkeypatch.syspath_prepend(str(BENCH))
    monkeypatch.setenv("BENCH_SCRIPT", "bench_stub.py")


def test_emit_appends_lines_the_summary_reads(tmp_path, monkeypatch, bench_path):
    harness = importlib.import_module("harness")
    monkeypatch.delenv("BENCH_RESULTS", raising=False)
    harness.emit("stub", "ignored", 1.0)  # no BENCH_RESULTS: nothing written
    path = tmp_path / "r.jsonl"
    monkeypatch.setenv("BENCH_RESULTS", str(path))
    harness.emit("stub", "speed", 1234.0, unit="x/s", target=">= 1,000", floor=2000.0,
                 passed=True, note="n")  # fmt: skip
    harness.emit("stub", "p99", None, unit="ms", target="< 5", passed=False)
    figures, statuses = summary.read(str(path))
    assert [f["script"] for f in figures] == ["bench_stub.py"] * 2
    table = summary.render(figures, statuses)
    row_of(table, "stub", "speed", "1,234 x/s", ">= 1,000", "2,000 x/s", "ok", "n")
    row_of(table, "stub", "p99", "missing", "< 5", "MISSED")


def test_campaign_send_emits_rate_ratio_and_each_once(
    tmp_path, monkeypatch, bench_path
):
    """The heaviest bench's emit path, on stub results (it needs Postfix to run)."""
    send = importlib.import_module("bench_campaign_send")
    path = tmp_path / "r.jsonl"
    monkeypatch.setenv("BENCH_RESULTS", str(path))

    def result(conns, per_second, exact=True):
        return {"conns": conns, "per_second": per_second, "ratio": per_second / 8000,
                "received": 100, "rss_early": 100.0, "rss_late": 101.0,
                "exact": exact, "flat": True, "status": "finished"}  # fmt: skip

    results = [result(1, 900.0), result(4, 1100.0), result(8, 950.0, exact=False)]
    send.emit_figures(results, results[1], per_floor=4000.0, cores=2)
    table = summary.render(*summary.read(str(path)))
    row_of(table, "campaign send", "1 connection(s)", "900 messages/s", "4,000")
    row_of(table, "campaign send", "4 connection(s)", "1,100 messages/s", ">= 1,000",
           "8,000 messages/s", "ok")  # fmt: skip
    row_of(table, "4 connections / (floor × cores)", "0.138", ">= 0.5", "MISSED")
    row_of(table, "each subscriber once, flat memory", "300 messages", "MISSED")


def test_every_bench_script_emits_its_figures():
    silent = [
        p.name
        for p in sorted(BENCH.glob("bench_*.py"))
        if "emit(" not in p.read_text(encoding="utf-8")
    ]
    assert silent == []
