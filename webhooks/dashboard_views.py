"""GET /: the dashboard (totals, the mail flow over a period, the state of each source).

In webhooks, the top of the import order, because the flow reads every app's
tables (webhooks.dashboard).
"""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from subscribers.models import MailingList, Subscriber
from webhooks import dashboard, dashboard_chart, dashboard_states
from webhooks.dashboard_period import PERIOD_CHOICES, PeriodForm


@require_GET
def dashboard_view(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET)
    period = form.chosen()
    configured = dashboard_states.configured_sources()
    flow = dashboard.mail_flow(
        period,
        mailboxes=configured.mailbox_names,
        providers=configured.enabled_providers,
        custom_names=configured.custom_names,
    )
    counts = dict(Subscriber.objects.values_list("status").annotate(n=Count("id")))
    context = {
        "nav": "dashboard",
        "form": form,
        "period": period,
        "presets": PERIOD_CHOICES[:-1],
        "flow": flow,
        "picture": dashboard_chart.flow_picture(flow),
        "daily": dashboard_chart.daily_charts(flow),
        "states": dashboard_states.source_states(configured),
        "subscriber_counts": counts,
        "subscriber_total": sum(counts.values()),
        "list_total": MailingList.objects.visible().count(),
    }
    # Bad dates: the page still shows (the default period) with the error beside the field.
    return render(
        request, "dashboard.html", context, status=400 if form.errors else 200
    )
