"""The alerts page: open incidents first, then the recent closed ones."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from monitoring.alerts import services
from monitoring.alerts.rules import rule_title


def incidents(request: HttpRequest) -> HttpResponse:
    groups = services.incidents_for_page()
    for incident in groups["open"] + groups["closed"]:
        incident.rule_title = rule_title(incident.rule)
    context = {
        "nav": "alerts",
        "endpoints": services.alert_endpoints(),
        "alert_filter": services.ALERT_FILTER,
        **groups,
    }
    return render(request, "monitoring/alerts.html", context)
