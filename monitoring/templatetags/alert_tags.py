"""{% open_alert_count %}: the number in the nav's Alerts link."""

from __future__ import annotations

from django import template

from monitoring.models import AlertIncident

register = template.Library()


@register.simple_tag
def open_alert_count() -> int:
    return AlertIncident.objects.filter(closed_at__isnull=True).count()
