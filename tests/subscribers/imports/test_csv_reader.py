"""The pure CSV parser: files in, rows and row errors out."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from subscribers.imports.csv_reader import (
    CsvFileError,
    CsvRow,
    RowError,
    parse_csv,
    scan_csv,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "csv"


def parse_file(name: str, **kw) -> list:
    with (FIXTURES / name).open("rb") as f:
        return list(parse_csv(f, **kw))


def parse_bytes(data: bytes, **kw) -> list:
    return list(parse_csv(io.BytesIO(data), **kw))


def test_it_parses_a_good_file():
    rows = parse_file("good.csv")
    assert rows == [
        CsvRow(2, "anna@example.com", "Anna", {"city": "Berlin"}),
        CsvRow(3, "bob@example.com", "Bob", {}),
        CsvRow(4, "carl@example.com", "carl", {"vip": True}),
    ]


def test_it_accepts_columns_in_any_order_and_only_email():
    rows = parse_bytes(b"name,email\nZed,zed@example.com\n")
    assert rows == [CsvRow(2, "zed@example.com", "Zed", {})]
    assert parse_bytes(b"Email\nx@example.com\n") == [
        CsvRow(2, "x@example.com", "x", {})
    ]


def test_it_strips_a_utf8_bom():
    assert parse_file("bom.csv") == [CsvRow(2, "bom@example.com", "Böm", {})]


def test_it_names_the_line_with_the_wrong_encoding():
    with pytest.raises(CsvFileError, match="line 3 is not valid UTF-8"):
        parse_file("latin1.csv")


def test_it_rejects_unexpected_columns_by_name():
    with pytest.raises(CsvFileError, match="unexpected column.*'phone'"):
        parse_file("wrong_columns.csv")


def test_it_requires_an_email_column():
    with pytest.raises(CsvFileError, match="'email' column"):
        parse_bytes(b"name,attributes\nA,{}\n")


def test_it_rejects_an_empty_file():
    with pytest.raises(CsvFileError, match="empty"):
        parse_bytes(b"")
    with pytest.raises(CsvFileError, match="no subscribers"):
        scan_csv(io.BytesIO(b"email,name\n"))


def test_it_reports_bad_rows_and_keeps_good_ones():
    rows = parse_file("row_errors.csv")
    assert rows[0] == CsvRow(2, "good@example.com", "Good", {})
    errors = [r for r in rows if isinstance(r, RowError)]
    assert [(e.line, e.email) for e in errors] == [
        (3, "not-an-email"),
        (4, "list@example.com"),
        (5, "broken@example.com"),
        (6, "good@example.com"),
    ]
    assert "invalid email" in errors[0].reason
    assert "JSON object" in errors[1].reason
    assert "not valid JSON" in errors[2].reason
    assert errors[3].reason == "duplicate of line 2"


def test_it_treats_duplicates_case_insensitively():
    rows = parse_bytes(b"email\nA@x.org\na@X.ORG\n")
    assert isinstance(rows[0], CsvRow)
    assert rows[1] == RowError(3, "a@x.org", "duplicate of line 2")


def test_it_uses_a_custom_delimiter():
    assert parse_file("semicolon.csv", delim=";") == [
        CsvRow(2, "semi@example.com", "Semi", {"a": 1})
    ]


def test_it_reads_tab_separated_files():
    assert parse_bytes(b"email\tname\nt@example.com\tTab\n", delim="\t") == [
        CsvRow(2, "t@example.com", "Tab", {})
    ]


def test_it_counts_physical_lines_across_quoted_newlines():
    data = b'email,name\na@example.com,"two\nlines"\nnope,X\n'
    rows = parse_bytes(data)
    assert rows[0].name == "two\nlines"
    assert rows[1] == RowError(4, "nope", rows[1].reason)


def test_it_skips_blank_lines_and_flags_extra_fields():
    rows = parse_bytes(b"email\n\nb@example.com,extra\n")
    assert rows == [RowError(3, "b@example.com", "2 fields, but the header has 1")]


def test_it_reports_a_missing_email():
    assert parse_bytes(b"email,name\n,Nobody\n") == [
        RowError(2, "", "the email address is missing")
    ]


def test_scan_counts_rows_including_bad_ones():
    with (FIXTURES / "row_errors.csv").open("rb") as f:
        assert scan_csv(f) == 5


def test_it_rejects_a_quote_as_delimiter():
    with pytest.raises(CsvFileError, match="delimiter"):
        parse_bytes(b"email\n", delim='"')
