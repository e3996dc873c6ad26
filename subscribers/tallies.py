"""Exact subscriber counts and deep pages without reading every subscriber.

COUNT(*) over a million subscribers reads a million index entries (80-300 ms on
a busy 2-core machine), and so does OFFSET 1,000,000. On PostgreSQL, triggers
(migration 0006) keep subscriber_tallies: per block of BUCKET ids and status,
how many subscribers each statement added or removed, written in the writer's
transaction. So within one statement (one snapshot) the sums are the exact
counts, and the blocks' running sums say which block holds the N-th newest
subscriber: the page walks at most one block of the id index.

Other databases have no triggers (the table stays empty): there `total()` and
`by_status()` count the table, and `page()` is not offered (`in_use()`).
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Count

from subscribers.models import Subscriber

# Ids a bucket: the triggers of migration 0006 divide by the same number.
BUCKET = 10_000

# Blocks newest first: the block holding the row at the offset, and how many
# rows come before it. An offset past the end finds no block: the bound is
# NULL, so no ids.
_PAGE_DESC = """
WITH buckets AS (
    SELECT bucket, sum(n)::bigint AS n FROM subscriber_tallies
    GROUP BY bucket HAVING sum(n) <> 0
), running AS (
    SELECT bucket, (sum(n) OVER (ORDER BY bucket DESC))::bigint AS through, n
    FROM buckets
), first AS (
    SELECT bucket, through - n AS before FROM running
    WHERE through > %(offset)s ORDER BY bucket DESC LIMIT 1
)
SELECT (SELECT coalesce(sum(n), 0) FROM buckets)::bigint,
       ARRAY(SELECT id FROM subscribers
             WHERE id < (SELECT (bucket + 1) * %(bucket)s FROM first)
             ORDER BY id DESC
             OFFSET (SELECT %(offset)s - before FROM first) LIMIT %(limit)s)
"""
# The same, oldest first.
_PAGE_ASC = """
WITH buckets AS (
    SELECT bucket, sum(n)::bigint AS n FROM subscriber_tallies
    GROUP BY bucket HAVING sum(n) <> 0
), running AS (
    SELECT bucket, (sum(n) OVER (ORDER BY bucket))::bigint AS through, n
    FROM buckets
), first AS (
    SELECT bucket, through - n AS before FROM running
    WHERE through > %(offset)s ORDER BY bucket LIMIT 1
)
SELECT (SELECT coalesce(sum(n), 0) FROM buckets)::bigint,
       ARRAY(SELECT id FROM subscribers
             WHERE id >= (SELECT bucket * %(bucket)s FROM first)
             ORDER BY id
             OFFSET (SELECT %(offset)s - before FROM first) LIMIT %(limit)s)
"""

# Fold the rows into one per bucket and status. Rows of transactions still
# running are not seen, so not deleted: they are folded next time. A second
# compaction at the same time skips (the advisory lock) rather than waits.
_COMPACT = """
WITH allowed AS (
    SELECT pg_try_advisory_xact_lock(hashtext('subscriber_tallies')) AS ok
), gone AS (
    DELETE FROM subscriber_tallies WHERE (SELECT ok FROM allowed)
    RETURNING bucket, status, n
), folded AS (
    INSERT INTO subscriber_tallies (bucket, status, n)
    SELECT bucket, status, sum(n) FROM gone GROUP BY 1, 2 HAVING sum(n) <> 0
    RETURNING 1
)
SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM folded)
"""


# Writers wait (SHARE mode) while the table is counted again; readers do not.
_REBUILD = [
    "LOCK TABLE subscribers IN SHARE MODE",
    "DELETE FROM subscriber_tallies",
    "INSERT INTO subscriber_tallies (bucket, status, n)"
    " SELECT id / %(bucket)s, status, count(*) FROM subscribers GROUP BY 1, 2",
]


def in_use() -> bool:
    return connection.vendor == "postgresql"


def total() -> int:
    """How many subscribers there are."""
    if not in_use():
        return Subscriber.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(n), 0)::bigint FROM subscriber_tallies")
        return cursor.fetchone()[0]


def by_status() -> dict[str, int]:
    """{status: count} for each status some subscriber has (as a GROUP BY gives)."""
    if not in_use():
        return dict(Subscriber.objects.values_list("status").annotate(n=Count("id")))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, sum(n)::bigint FROM subscriber_tallies"
            " GROUP BY status HAVING sum(n) <> 0"
        )
        return dict(cursor.fetchall())


def page(offset: int, limit: int, *, descending: bool) -> tuple[int, list[int]]:
    """(total, ids) of every subscriber ordered by id, `limit` from `offset`, in
    one statement: the total and the page come from the same snapshot."""
    sql = _PAGE_DESC if descending else _PAGE_ASC
    with connection.cursor() as cursor:
        cursor.execute(sql, {"offset": offset, "limit": limit, "bucket": BUCKET})
        count, ids = cursor.fetchone()
        return count, list(ids)


def compact() -> tuple[int, int]:
    """Fold the tallies (beat, every minute): (rows read, rows written)."""
    if not in_use():
        return 0, 0
    with connection.cursor() as cursor:
        cursor.execute(_COMPACT)
        return cursor.fetchone()


def drift() -> dict[str, tuple[int, int]]:
    """{status: (tallied, counted)} where the two differ (empty when exact)."""
    if not in_use():
        return {}
    counted = dict(Subscriber.objects.values_list("status").annotate(n=Count("id")))
    tallied = by_status()
    return {
        status: (tallied.get(status, 0), counted.get(status, 0))
        for status in set(tallied) | set(counted)
        if tallied.get(status, 0) != counted.get(status, 0)
    }


def rebuild() -> None:
    """Count the table again (after a data-only restore that fired the triggers
    on rows whose tallies came along, or triggers turned off by hand)."""
    if not in_use():
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in _REBUILD:
            cursor.execute(sql, {"bucket": BUCKET})
