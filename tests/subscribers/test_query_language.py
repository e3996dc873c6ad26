"""listmonk's `query` parser (pure: no database)."""

from __future__ import annotations

import pytest

from subscribers.query_ast import (
    And,
    Column,
    Compare,
    In,
    IsNull,
    Like,
    Not,
    Now,
    Or,
    QueryError,
)
from subscribers.query_language import MAX_DEPTH, MAX_LENGTH, parse_query


def test_it_parses_the_lookups_of_the_pypi_client():
    assert parse_query("subscribers.email='a+b@example.com'") == Compare(
        Column("email"), "=", "a+b@example.com"
    )
    assert parse_query("subscribers.id=201") == Compare(Column("id"), "=", 201)
    assert parse_query(
        "subscribers.uuid='c37786af-e6ab-4260-9b49-740ad8d6ed0a'"
    ) == Compare(Column("uuid"), "=", "c37786af-e6ab-4260-9b49-740ad8d6ed0a")


def test_it_makes_the_table_prefix_and_keyword_case_optional():
    assert parse_query("EMAIL = 'x'") == parse_query("subscribers.email = 'x'")
    assert parse_query("name like 'a%' and status = 'enabled'") == And(
        (
            Like(Column("name"), "a%", case_insensitive=False),
            Compare(Column("status"), "=", "enabled"),
        )
    )


def test_it_unescapes_doubled_quotes():
    assert parse_query("name = 'O''Brien'") == Compare(Column("name"), "=", "O'Brien")


def test_it_binds_and_tighter_than_or_and_honours_parentheses():
    a, b, c = "id = 1", "id = 2", "id = 3"
    assert parse_query(f"{a} OR {b} AND {c}") == Or(
        (
            Compare(Column("id"), "=", 1),
            And((Compare(Column("id"), "=", 2), Compare(Column("id"), "=", 3))),
        )
    )
    assert parse_query(f"({a} OR {b}) AND {c}") == And(
        (
            Or((Compare(Column("id"), "=", 1), Compare(Column("id"), "=", 2))),
            Compare(Column("id"), "=", 3),
        )
    )


def test_it_reads_attribs_paths_and_casts():
    assert parse_query("subscribers.attribs->>'city' = 'Oslo'") == Compare(
        Column("attribs", ("city",)), "=", "Oslo"
    )
    assert parse_query("attribs->'a'->'b'->>'c' ILIKE '%x%'") == Like(
        Column("attribs", ("a", "b", "c")), "%x%", case_insensitive=True
    )
    assert parse_query("(subscribers.attribs->>'age')::INT >= 30") == Compare(
        Column("attribs", ("age",), "int"), ">=", 30
    )
    assert parse_query("NOT ((attribs->>'vip')::BOOLEAN = TRUE)") == Not(
        Compare(Column("attribs", ("vip",), "bool"), "=", True)
    )


def test_it_reads_in_is_null_not_like_and_relative_times():
    assert parse_query("status NOT IN ('blocklisted', 'disabled')") == In(
        Column("status"), ("blocklisted", "disabled"), negated=True
    )
    assert parse_query("attribs->>'x' IS NOT NULL") == IsNull(
        Column("attribs", ("x",)), negated=True
    )
    assert parse_query("email NOT ILIKE '%@spam.test'") == Like(
        Column("email"), "%@spam.test", case_insensitive=True, negated=True
    )
    assert parse_query("created_at > NOW() - INTERVAL '7 days'") == Compare(
        Column("created_at"), ">", Now(7 * 86400)
    )
    assert parse_query("id <> -1") == Compare(Column("id"), "!=", -1)


def test_it_ignores_a_trailing_semicolon_and_treats_blank_as_no_filter():
    assert parse_query("  id = 1 ; ") == Compare(Column("id"), "=", 1)
    assert parse_query("   ") is None


@pytest.mark.parametrize(
    "query, named",
    [
        ("1=1; DROP TABLE subscribers", "`;`"),
        ("id = 1; DELETE FROM subscribers", "`;`"),
        ("1=1", "`1`"),
        ("email = 'x' OR 1=1", "`1`"),
        ("password = 'x'", "`subscribers.password`"),
        ("subscriber_lists.status = 'confirmed'", "`subscriber_lists.status`"),
        ("id = (SELECT id FROM subscribers)", "`(SELECT`"),
        ("email = lower('X')", "`lower`"),
        ("id = 1 UNION SELECT 1", "`UNION`"),
        ("email = 'x' -- comment", "`-`"),
        ('email = "x"', '`"x"'),
        ("id = 1 /* x */", "`/*`"),
        ("attribs @> '{}'", "`@>"),
    ],
)
def test_it_names_what_it_does_not_support(query, named):
    with pytest.raises(QueryError) as err:
        parse_query(query)
    assert named in str(err.value)
    assert "supported:" in str(err.value)


@pytest.mark.parametrize(
    "query, message",
    [
        ("email = 'open", "not closed"),
        ("email =", "at the end of the query"),
        ("(id = 1", "expected `\\)`"),
        ("attribs = 'x'", "->>"),
        ("attribs->>'' = 'x'", "non-empty quoted string"),
        ("id IS 5", "NULL after IS"),
        ("name LIKE 5", "quoted pattern"),
        ("created_at > NOW() - INTERVAL 'forever'", "INTERVAL takes"),
        ("email = 'x' OR", "missing at the end"),
    ],
)
def test_it_explains_malformed_queries(query, message):
    with pytest.raises(QueryError, match=message):
        parse_query(query)


def test_it_bounds_length_depth_and_size():
    with pytest.raises(QueryError, match="longer than"):
        parse_query("name = '" + "x" * MAX_LENGTH + "'")
    with pytest.raises(QueryError, match="nested more than"):
        parse_query("(" * (MAX_DEPTH + 1) + "id = 1" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(QueryError, match="nested more than"):
        parse_query("NOT " * (MAX_DEPTH + 1) + "id = 1")
    assert parse_query("(" * MAX_DEPTH + "id = 1" + ")" * MAX_DEPTH) is not None
    with pytest.raises(QueryError, match="more than 100 comparisons"):
        parse_query(" OR ".join(["id = 1"] * 101))


def test_it_refuses_a_megabyte_before_tokenizing_it():
    with pytest.raises(QueryError, match="longer than"):
        parse_query("(" * 1_000_000)


def test_it_keeps_unicode_in_strings_and_refuses_it_in_names():
    assert parse_query("name = 'Zoë 🎉'") == Compare(Column("name"), "=", "Zoë 🎉")
    with pytest.raises(QueryError, match="not supported"):
        parse_query("nämé = 'x'")
