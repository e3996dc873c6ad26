"""The deliverability check page: DNS records of the sending domains, explained."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from monitoring.deliverability.forms import EXTRA_DOMAINS, SELECTORS, DeliverabilityForm
from monitoring.deliverability.report import check_deliverability
from monitoring.deliverability.targets import plan_checks
from stmails import config
from stmails.settings_pages.forms import save_settings


@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    """GET shows what will be checked; ?check=1 runs the lookups; POST saves."""
    if request.method == "POST":
        form = DeliverabilityForm(request.POST)
        if form.is_valid() and save_settings(request, form):
            messages.success(request, "Deliverability settings saved.")
            return redirect("deliverability:index")
    else:
        form = DeliverabilityForm.from_values(
            config.get_values(SELECTORS, EXTRA_DOMAINS)
        )
    # DNS lookups take up to a few seconds; run them only when asked.
    report = check_deliverability() if request.GET.get("check") else None
    context = {
        "nav": "deliverability",
        "form": form,
        "report": report,
        "plan": report.plan if report else plan_checks(),
    }
    return render(
        request,
        "monitoring/deliverability.html",
        context,
        status=400 if form.errors else 200,
    )
