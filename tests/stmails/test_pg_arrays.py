"""Array literals read back by PostgreSQL as the values they were made of."""

from __future__ import annotations

import pytest
from django.db import connection

from stmails.lib.pg_arrays import float_array, int_array, text_array
from tests.conftest import require_service

TEXTS = ['<a.b@x>', "", "NULL", 'quote " inside', "back\\slash", "a,b", "{x}", " pad ",
         "Zoë ✓", "tab\tnew\nline"]  # fmt: skip


def test_the_literals_are_postgresqls_array_syntax():
    assert int_array([1, 22, 333]) == "{1,22,333}"
    assert int_array([]) == "{}"
    assert text_array(['a"b', "c\\d"]) == '{"a\\"b","c\\\\d"}'
    assert float_array([0.1, 1e20]) == "{0.1,1e+20}"


@pytest.mark.django_db
def test_postgresql_reads_them_back_unchanged(db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    require_service("PostgreSQL", "127.0.0.1", 5432)
    floats = [0.1, 1764780000.123456, -2.5e-7, 3.0]
    ints = [0, -1, 2**62]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::varchar[], %s::bigint[], %s::double precision[]",
            [text_array(TEXTS), int_array(ints), float_array(floats)],
        )
        texts, got_ints, got_floats = cursor.fetchone()
    assert texts == TEXTS
    assert got_ints == ints
    assert got_floats == floats
