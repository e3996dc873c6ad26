"""Print the database URL `make bench` gives one benchmark script.

    python bench/database_for.py BASE_URL bench_api_bounces.py
    -> postgresql://.../stmails_bench_api_bounces

Each script gets a database of its own, named after the base database and the
script, so what one benchmark leaves behind (a million bounces, a million
subscribers) does not weigh on the next one's figures. The benchmarks create
their database when it is missing and reuse what they filled on later runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit


def database_for(base_url: str, script: str) -> str:
    parts = urlsplit(base_url)
    if not parts.scheme.startswith("postgres"):
        return base_url  # the benchmarks refuse or warn about it themselves
    suffix = Path(script).stem.removeprefix("bench_")
    return parts._replace(path=f"{parts.path.rstrip('/')}_{suffix}").geturl()


if __name__ == "__main__":
    print(database_for(sys.argv[1], sys.argv[2]))
