"""Date filters from query strings: a bare date means the whole day."""

from __future__ import annotations

from datetime import datetime

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
