"""Settings → Self-test (probe.* and the run history) and Deliverability → Header
round trip."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from monitoring.models import ProbeRun
from monitoring.selftest import probe
from monitoring.selftest.forms import MAILBOX, ProbeSettingsForm, RoundTripForm
from stmails import config
from stmails.settings_pages.forms import save_settings
from stmails.settings_pages.views import TABS

HISTORY = 20


def _render(
    request: HttpRequest, template: str, context: dict, status: int = 200
) -> HttpResponse:
    context = {"nav": "settings", "tabs": TABS, "tab": "probe", **context}
    return render(request, template, context, status=status)


def _runs(kind: str) -> list[ProbeRun]:
    return list(
        ProbeRun.objects.filter(kind=kind).order_by("-started_at", "-id")[:HISTORY]
    )


@require_http_methods(["GET", "POST"])
def probe_settings(request: HttpRequest) -> HttpResponse:
    values = config.get_masked_settings()
    boxes = values["bounce.mailboxes"]
    form = ProbeSettingsForm(request.POST or None, boxes=boxes, values=values)
    if request.method == "POST" and form.is_valid() and save_settings(request, form):
        messages.success(request, "Self-test settings saved.")
        return redirect("probe:settings")
    runs = _runs(ProbeRun.Kind.SELFTEST)
    context = {
        "form": form,
        "runs": runs,
        "running": any(r.is_running for r in runs),
        "no_mailboxes": not boxes,
        "mailbox_field": form[MAILBOX],
    }
    return _render(
        request, "monitoring/probe.html", context, 400 if form.errors else 200
    )


@require_POST
def probe_run(request: HttpRequest) -> HttpResponse:
    try:
        run = probe.start_selftest()
    except probe.ProbeError as e:
        messages.error(request, e.message)
    else:
        if run.is_running:
            messages.success(
                request,
                f"Self-test started: the mail goes to {run.address}; the result "
                "appears here within a few minutes.",
            )
        else:
            messages.error(
                request, f"Self-test failed at {run.failed_step}: {run.error}"
            )
    return redirect("probe:settings")


@require_http_methods(["GET", "POST"])
def round_trip(request: HttpRequest) -> HttpResponse:
    boxes = config.get_masked_settings()["bounce.mailboxes"]
    initial = {"address": config.get_value("probe.address")}
    if config.get_value("probe.mailbox"):
        initial["mailbox"] = config.get_value("probe.mailbox")
    form = RoundTripForm(request.POST or None, boxes=boxes, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            probe.run_round_trip(
                mailbox_uuid=form.cleaned_data["mailbox"],
                address=form.cleaned_data["address"],
            )
        except probe.ProbeError as e:
            form.add_error(e.field or None, e.message)
        else:
            messages.success(request, "Test mail queued; the report appears below.")
            return redirect("deliverability:round_trip")
    runs = _runs(ProbeRun.Kind.ROUND_TRIP)
    context = {
        "form": form,
        "runs": runs,
        "running": any(r.is_running for r in runs),
        "no_mailboxes": not boxes,
    }
    # Its one home is Deliverability (nav and tabs), not the Settings layout.
    context["nav"] = "deliverability"
    return render(
        request,
        "monitoring/round_trip.html",
        context,
        status=400 if form.errors else 200,
    )
