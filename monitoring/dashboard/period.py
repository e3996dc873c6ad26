"""The dashboard's period: a preset ending now, or whole local days; and its form.

GET /?period=24h|7d|30d|90d, or ?from=YYYY-MM-DD&to=YYYY-MM-DD (inclusive). A bad
value is a form error beside its field; the page then shows the default period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from bounces import chart
from stmails.forms import add_date_range_fields

PRESETS = {
    "24h": ("last 24 hours", timedelta(hours=24)),
    "7d": ("last 7 days", timedelta(days=7)),
    "30d": ("last 30 days", timedelta(days=30)),
    "90d": ("last 90 days", timedelta(days=90)),
}
DEFAULT_PERIOD = "7d"
# The daily chart's limit: past it the bars get thinner than a pixel.
MAX_DAYS = chart.MAX_DAYS


@dataclass(frozen=True)
class Period:
    key: str  # a PRESETS key or "custom"
    start: datetime  # inclusive
    end: datetime  # exclusive
    label: str

    @property
    def first_day(self) -> date:
        return timezone.localdate(self.start)

    @property
    def last_day(self) -> date:
        return timezone.localdate(self.end - timedelta(microseconds=1))


def preset_period(key: str, now: datetime | None = None) -> Period:
    now = now or timezone.now()
    label, length = PRESETS[key]
    return Period(key, now - length, now, label)


def custom_period(first: date, last: date) -> Period:
    """Whole local days, `first` to `last` inclusive."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(first, time.min), tz)
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min), tz)
    return Period("custom", start, end, f"{first.isoformat()} to {last.isoformat()}")


PERIOD_CHOICES = [
    *((key, label) for key, (label, _) in PRESETS.items()),
    ("custom", "custom dates"),
]


class PeriodForm(forms.Form):
    """?period=24h|7d|30d|90d, or ?from=YYYY-MM-DD&to=YYYY-MM-DD (local days)."""

    period = forms.ChoiceField(choices=PERIOD_CHOICES, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_date_range_fields(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first: date | None = data.get("from")
        last: date | None = data.get("to")
        if self.errors:
            return data
        if first is None and last is None:
            if data.get("period") == "custom":
                self.add_error("from", "Enter the first day of the period.")
            return data
        if first is None:
            self.add_error("from", "Enter the first day of the period.")
            return data
        last = last or timezone.localdate()
        if last < first:
            self.add_error("to", "The last day must be on or after the first day.")
        elif (last - first).days >= MAX_DAYS:
            self.add_error("to", f"A period is at most {MAX_DAYS} days.")
        data["to"] = last
        return data

    def chosen(self, now: datetime | None = None) -> Period:
        """The valid period asked for; the default one when the input is invalid."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("from"):
            return custom_period(data["from"], data["to"])
        key = data.get("period") or DEFAULT_PERIOD
        if key not in PRESETS:
            key = DEFAULT_PERIOD
        return preset_period(key, now)
