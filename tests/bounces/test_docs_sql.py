"""The query from our docs runs verbatim on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db import connection

from bounces.models import Bounce

DOCS = Path(__file__).resolve().parents[2] / "docs" / "bounces" / "index.md"


def sql_blocks(text: str) -> list[str]:
    return re.findall(r"```sql\n(.*?)```", text, re.S)


# Read from the page itself, so the docs cannot drift from what is tested.
DOCS_SQL = sql_blocks(DOCS.read_text(encoding="utf-8"))[0].strip()


def test_it_runs_the_documented_query(make_subscriber):
    ann = make_subscriber("ann@example.com")
    bob = make_subscriber("bob@example.com")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    expected, rows = [], []
    for i in range(1005):
        who = ann if i % 2 else bob
        rows.append(
            Bounce(subscriber=who, type="hard", created_at=start + timedelta(minutes=i))
        )
        expected.append((who.id, str(who.uuid).replace("-", ""), who.email))
    # Stored in shuffled order, so the ORDER BY (not the insertion order) decides.
    random.Random(4).shuffle(rows)
    Bounce.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute(DOCS_SQL)
        got = cursor.fetchall()
    assert len(got) == 1000
    newest = list(reversed(expected))[:1000]
    # uuid comes back as a UUID (PostgreSQL) or as 32 hex digits (SQLite's char(32)).
    assert [(r[1], str(r[2]).replace("-", ""), r[3]) for r in got] == newest
    first = got[0][0]
    if isinstance(first, str):  # SQLite returns text
        first = datetime.fromisoformat(first)
    assert first.replace(tzinfo=UTC) == start + timedelta(minutes=1004)
