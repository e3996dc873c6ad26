"""Maintenance input shared by the API and the Maintenance page: which
action, and the before_date it applies to. The deletes themselves are in
subscribers.maintenance and campaigns.tracking.gc."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime

from campaigns.services import CampaignError


def parse_before_date(raw: Any) -> datetime:
    """listmonk's before_date: an RFC 3339 time (a bare date: its midnight,
    UTC; a time without offset: UTC)."""
    if not isinstance(raw, str) or not raw.strip():
        raise CampaignError("before_date", "is required (an RFC 3339 time)")
    text = raw.strip()
    try:
        value = parse_datetime(text)
        day = None if value else parse_date(text)
    except ValueError:
        value = day = None
    if value is None and day is not None:
        value = datetime.combine(day, time.min)
    if value is None:
        raise CampaignError("before_date", "must be an RFC 3339 time")
    return value if value.tzinfo else value.replace(tzinfo=UTC)
