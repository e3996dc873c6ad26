"""Subscriber tallies: exact counts and pages by id without reading every subscriber.

On PostgreSQL the triggers of migration 0006 keep them; elsewhere the same
functions count the table.
"""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext

from subscribers import tallies
from subscribers.models import Subscriber, SubscriberTally, Subscription

pytestmark = pytest.mark.django_db

# Explicit ids far above what the id sequence gives in a test run.
BASE = 50_000_000


def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the tallies are kept by PostgreSQL triggers")


def counted() -> dict[str, int]:
    return dict(Subscriber.objects.values_list("status").annotate(n=Count("id")))


def per_bucket_and_status() -> dict[tuple[int, str], int]:
    """The tallies' sums, and what they must equal: the table, grouped."""
    sums = {
        (row["bucket"], row["status"]): row["n"]
        for row in SubscriberTally.objects.values("bucket", "status")
        .annotate(n=Sum("n"))
        .order_by()
        if row["n"]
    }
    table: dict[tuple[int, str], int] = {}
    for pk, status in Subscriber.objects.values_list("id", "status"):
        key = (pk // tallies.BUCKET, status)
        table[key] = table.get(key, 0) + 1
    assert sums == table
    return sums


def make(offsets: list[int], status: str = "enabled") -> None:
    Subscriber.objects.bulk_create(
        Subscriber(id=BASE + i, email=f"t{i}@example.com", status=status)
        for i in offsets
    )


def ids(*offsets: int) -> list[int]:
    return [BASE + i for i in offsets]


def test_totals_and_statuses_equal_the_tables_counts(make_subscriber):
    make_subscriber("a@example.com")
    make_subscriber("b@example.com", status="blocklisted")
    make_subscriber("c@example.com", status="blocklisted")
    assert tallies.by_status() == counted() == {"enabled": 1, "blocklisted": 2}
    assert tallies.total() == 3


def test_every_kind_of_write_keeps_them_exact(make_subscriber):
    postgresql_only()
    make([1, 2, 9_999, 10_000, 25_000, 40_001])
    per_bucket_and_status()
    one = make_subscriber("one@example.com")
    one.status = "disabled"
    one.save()  # a status change moves it from one tally to another
    one.name = "renamed"
    one.save()  # other columns add nothing
    Subscriber.objects.filter(id__in=ids(2, 25_000)).update(status="blocklisted")
    Subscriber.objects.filter(id__in=ids(9_999)).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO subscribers (uuid, email, name, attribs, status, created_at,"
            " updated_at) SELECT gen_random_uuid(), 'g' || g || '@example.com', '',"
            " '{}', 'enabled', now(), now() FROM generate_series(1, 50) g"
        )
        # An insert that meets an existing address adds nothing (as opt-in does).
        cursor.execute(
            "INSERT INTO subscribers (uuid, email, name, attribs, status, created_at,"
            " updated_at) VALUES (gen_random_uuid(), 'G1@example.com', '', '{}',"
            " 'enabled', now(), now()) ON CONFLICT DO NOTHING"
        )
    per_bucket_and_status()
    assert tallies.by_status() == counted()
    assert tallies.total() == Subscriber.objects.count() == 56


def test_truncating_subscribers_empties_them():
    postgresql_only()
    make([1, 2, 3])
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE subscribers CASCADE")
    assert tallies.total() == 0 and tallies.by_status() == {}
    make([4])
    assert tallies.total() == 1


def test_compaction_folds_rows_and_keeps_the_sums():
    postgresql_only()
    make([1, 2, 3])
    make([4, 10_001], status="disabled")
    Subscriber.objects.filter(id__in=ids(3)).update(status="disabled")
    Subscriber.objects.filter(id__in=ids(1, 2)).delete()
    before = per_bucket_and_status()
    rows = SubscriberTally.objects.count()

    assert tallies.compact() == (rows, 2)

    assert per_bucket_and_status() == before
    # One row per bucket and status left (the enabled ones came to zero).
    assert SubscriberTally.objects.count() == len(before) == 2
    assert tallies.compact() == (2, 2)


# Gaps (deleted rows, empty blocks) and rows on both sides of block edges.
PAGE_IDS = [1, 2, 3, 9_998, 9_999, 10_000, 10_001, 19_999, 20_000, 45_000, 45_001]


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("limit", [1, 2, 3, 100])
def test_a_page_is_the_same_as_order_by_with_offset(descending, limit):
    postgresql_only()
    make(PAGE_IDS + [5, 30_000])
    Subscriber.objects.filter(id__in=ids(5, 30_000)).delete()
    ordered = sorted(ids(*PAGE_IDS), reverse=descending)

    for offset in range(len(ordered) + 2):
        assert tallies.page(offset, limit, descending=descending) == (
            len(PAGE_IDS),
            ordered[offset : offset + limit],
        ), offset


def test_a_page_reads_the_tallies_not_every_subscriber():
    postgresql_only()
    make(PAGE_IDS)
    with CaptureQueriesContext(connection) as ctx:
        assert tallies.page(9, 2, descending=True) == (11, ids(2, 1))
    (query,) = ctx.captured_queries
    assert "COUNT(" not in query["sql"].upper()
    with connection.cursor() as cursor:
        # A few rows would be read whole; with a million the index is the only way.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN " + tallies._PAGE_DESC,
            {"offset": 9, "limit": 2, "bucket": tallies.BUCKET},
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The id index, from the upper bound of the block that the tallies found.
    assert "Index Only Scan Backward using subscribers_pkey" in plan
    assert "Index Cond: (id < $" in plan


def test_memberships_do_not_change_them(make_subscriber, make_list):
    postgresql_only()
    sub = make_subscriber()
    rows = SubscriberTally.objects.count()
    Subscription.objects.create(subscriber=sub, list=make_list(), status="confirmed")
    assert SubscriberTally.objects.count() == rows


def test_beat_compacts_them_every_minute():
    from stmails.celery import app
    from subscribers.tasks import compact_tallies

    schedule = {e["task"]: e["schedule"] for e in app.conf.beat_schedule.values()}
    assert schedule["subscribers.tasks.compact_tallies"] == 60.0
    make([1])
    make([2])
    read = compact_tallies.apply().get()
    if connection.vendor == "postgresql":
        assert read == 2 and SubscriberTally.objects.count() == 1
    else:
        assert read == 0  # no tallies to fold: the table is counted instead


def test_recount_finds_and_mends_a_difference():
    from django.core.management import CommandError, call_command

    make([1, 2])
    out = io.StringIO()
    call_command("recount_subscribers", "--check", stdout=out)
    if connection.vendor != "postgresql":
        assert "no tallies" in out.getvalue()
        return
    assert "tallies exact: 2 subscribers" in out.getvalue()
    SubscriberTally.objects.create(bucket=0, status="enabled", n=5)  # drifted
    with pytest.raises(CommandError):
        call_command("recount_subscribers", "--check", stdout=io.StringIO())
    out = io.StringIO()
    call_command("recount_subscribers", stdout=out)
    assert "enabled: tallied 7, counted 2" in out.getvalue()
    assert tallies.drift() == {} and tallies.total() == 2
    per_bucket_and_status()
