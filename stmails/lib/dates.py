"""Date filters from query strings: a bare date means the whole day."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import make_aware


def parse_bound(raw: str, *, end: bool) -> datetime | None:
    """A date (its first or last instant, for an inclusive range) or an RFC 3339
    time; None when it is neither. Naive values are in the server's zone."""
    # A bare date first: parse_datetime would read "2024-08-02" as its midnight,
    # and a range ending on that day would leave the day out.
    try:
        day = parse_date(raw)
    except ValueError:
        return None
    if day is not None:
        value = datetime.combine(
            day, datetime.max.time() if end else datetime.min.time()
        )
    else:
        try:
            value = parse_datetime(raw)
        except ValueError:
            return None
        if value is None:
            return None
    return make_aware(value) if value.tzinfo is None else value


class BadBound(ValueError):
    """A range bound that is no date, or a range ending before it starts."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def filter_range(
    qs: Any, column: str, since: tuple[str, str | None], until: tuple[str, str | None]
) -> Any:
    """qs limited to since <= column <= until, each a (field name, raw value).

    Raises BadBound naming the field: an unreadable bound, or an inverted range
    (which would silently match nothing).
    """
    bounds = []
    for (field, raw), end in ((since, False), (until, True)):
        value = parse_bound(raw, end=end) if raw else None
        if raw and value is None:
            raise BadBound(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time")
        bounds.append(value)
    first, last = bounds
    if first and last and first > last:
        raise BadBound(until[0], f"must be on or after {since[0]}")
    if first:
        qs = qs.filter(**{f"{column}__gte": first})
    if last:
        qs = qs.filter(**{f"{column}__lte": last})
    return qs


def rfc3339(value: datetime | None) -> str | None:
    """An aware datetime as the API shows it (UTC as "Z"), None as None."""
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def json_default(value: Any) -> str:
    """json.dumps(default=...) for rows holding datetimes (ISO 8601)."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
