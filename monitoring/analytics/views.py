"""GET /analytics: views, clicks and bounces over time for chosen campaigns,
and their top links."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from monitoring.analytics import charts, queries
from monitoring.analytics.forms import AnalyticsForm


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    form = AnalyticsForm(request.GET or None)
    campaigns, first, last, bots = form.chosen()
    since, until = queries.day_range(first, last)
    ids = tuple(c.pk for c in campaigns)
    q = queries.Query(ids, since, until, bots)
    totals = queries.totals(list(ids), bots=bots)
    context = {
        "nav": "analytics",
        "form": form,
        "campaigns": campaigns,
        "first": first,
        "last": last,
        "charts": charts.charts(campaigns, first, last, bots=bots) if ids else {},
        "links": queries.top_links(q) if ids else [],
        "rows": [(c, totals[c.pk]) for c in campaigns],
        "unique": queries.unique_counts(),
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "monitoring/analytics.html", context, status=status)
