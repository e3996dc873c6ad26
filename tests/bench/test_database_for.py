"""`make bench` gives each script a database of its own (bench/database_for.py)."""

from __future__ import annotations

from bench.database_for import database_for


def test_each_script_gets_a_database_named_after_the_base_and_the_script():
    base = "postgresql://postgres@127.0.0.1:5432/stmails_bench"
    assert database_for(base, "bench/bench_api_bounces.py") == base + "_api_bounces"
    assert database_for(base, "bench_dashboard.py") == base + "_dashboard"


def test_credentials_and_query_string_are_kept():
    url = database_for("postgres://u:p%40ss@db:5433/b?sslmode=require", "bench_x.py")
    assert url == "postgres://u:p%40ss@db:5433/b_x?sslmode=require"


def test_a_database_that_is_not_postgresql_is_left_as_it_is():
    assert database_for("sqlite:////tmp/b.db", "bench_x.py") == "sqlite:////tmp/b.db"
