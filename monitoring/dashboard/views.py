"""GET /: the dashboard (totals, the mail flow over a period, the state of each source).

The flow (flow.py) reads every app's tables: monitoring is the one package
allowed to (docs/development/layers.md).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from monitoring.dashboard import chart, states
from monitoring.dashboard.flow import mail_flow
from monitoring.dashboard.period import PERIOD_CHOICES, PeriodForm
from subscribers import tallies
from subscribers.models import MailingList


@require_GET
def dashboard_view(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET)
    period = form.chosen()
    configured = states.configured_sources()
    flow = mail_flow(
        period,
        mailboxes=configured.mailbox_names,
        providers=configured.enabled_providers,
        custom_names=configured.custom_names,
    )
    counts = tallies.by_status()
    context = {
        "nav": "dashboard",
        "form": form,
        "period": period,
        "presets": PERIOD_CHOICES[:-1],
        "flow": flow,
        "picture": chart.flow_picture(flow),
        "daily": chart.daily_charts(flow),
        "states": states.source_states(configured),
        "subscriber_counts": counts,
        "subscriber_total": sum(counts.values()),
        "list_total": MailingList.objects.visible().count(),
    }
    # Bad dates: the page still shows (the default period) with the error beside the field.
    return render(
        request,
        "monitoring/dashboard.html",
        context,
        status=400 if form.errors else 200,
    )
