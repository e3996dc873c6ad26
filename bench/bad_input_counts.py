"""Prints the figures of issue 14 item 4: the bad-input battery's request count and
5xx count, and schemathesis' operations and examples (both must find no 5xx).

Runs the two tests (on SQLite, or on PostgreSQL when DATABASE_URL is set) and
prints the summary lines they print:

    .venv/bin/python bench/bad_input_counts.py
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/stmails_x .venv/bin/python bench/bad_input_counts.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = [
    "tests/test_bad_input_battery.py",
    "tests/stmails/test_openapi_schemathesis.py",
]
SUMMARIES = ("bad-input battery:", "schemathesis:")


def main() -> int:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", *TESTS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = run.stdout.splitlines()
    for line in lines:
        if line.startswith(SUMMARIES):
            print(line)
    print(lines[-1] if lines else run.stderr[-2000:])
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
