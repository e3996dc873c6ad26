"""show_datetime(): the one display format of a date or time in the admin, for
templates (the |when filter) and for text built in Python (messages, tooltips)."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone
from django.utils.formats import date_format


def show_datetime(value: datetime | date | None) -> str:
    """ "2026-12-03 14:05 UTC" in TIME_ZONE; a bare date as "2026-12-03"; "" for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            # Naive values in stmails are in the server's zone (stmails/lib/dates.py).
            value = timezone.make_aware(value)
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, date):
        return date_format(value, "DATE_FORMAT")
    return str(value)
