"""{{ moment|when }}: the one display format of dates and times in the admin.

A builtin (settings.TEMPLATES), so no template loads it; tests/stmails/
test_date_format.py fails on any other |date:/|time: format in a template."""

from __future__ import annotations

from django import template
from django.utils import timezone

from stmails.lib.datetime_display import show_datetime

register = template.Library()
register.filter("when", show_datetime)


@register.simple_tag
def zone_name() -> str:
    """The zone that |when shows and that day-by-day charts count in."""
    return timezone.get_current_timezone_name()
