from datetime import UTC, datetime

from stmails.lib.dates import parse_bound


def test_it_reads_a_bare_date_as_the_whole_day():
    start = parse_bound("2024-08-02", end=False)
    end = parse_bound("2024-08-02", end=True)
    assert start.date() == end.date() == datetime(2024, 8, 2).date()
    assert (start.hour, start.minute) == (0, 0)
    assert (end.hour, end.minute, end.second) == (23, 59, 59)


def test_it_keeps_an_rfc3339_time_and_its_offset():
    value = parse_bound("2024-08-02T10:30:00Z", end=True)
    assert value == datetime(2024, 8, 2, 10, 30, tzinfo=UTC)


def test_it_refuses_what_is_not_a_date():
    assert parse_bound("yesterday", end=False) is None
    assert parse_bound("2024-13-45", end=False) is None
    assert parse_bound("2024-08-02T25:00:00", end=False) is None
