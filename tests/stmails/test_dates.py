import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from stmails.lib import dates
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


def test_filter_range_names_the_bound_at_fault():
    from stmails.lib.dates import BadBound, filter_range

    class Rows:  # records the filters it is given
        def __init__(self, seen=()):
            self.seen = list(seen)

        def filter(self, **kw):
            return Rows([*self.seen, kw])

    rows = filter_range(Rows(), "created_at", ("from", "2024-08-01"), ("to", None))
    assert list(rows.seen[0]) == ["created_at__gte"]
    with pytest.raises(BadBound) as bad:
        filter_range(Rows(), "created_at", ("from", "soon"), ("to", None))
    assert bad.value.field == "from"
    with pytest.raises(BadBound) as bad:
        filter_range(Rows(), "t", ("since", "2024-08-02"), ("until", "2024-08-01"))
    assert (bad.value.field, bad.value.message) == (
        "until",
        "must be on or after since",
    )


def test_rfc3339_writes_utc_as_z_and_keeps_other_offsets():
    utc = datetime(2024, 8, 2, 9, 30, tzinfo=UTC)
    plus2 = datetime(2024, 8, 2, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    assert dates.rfc3339(utc) == "2024-08-02T09:30:00Z"
    assert dates.rfc3339(plus2) == "2024-08-02T09:30:00+02:00"
    assert dates.rfc3339(None) is None


def test_json_default_writes_datetimes_and_refuses_the_rest():
    at = datetime(2024, 8, 2, 9, 30, tzinfo=UTC)
    assert json.dumps({"at": at}, default=dates.json_default) == (
        '{"at": "2024-08-02T09:30:00+00:00"}'
    )
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        json.dumps({"x": {1}}, default=dates.json_default)
