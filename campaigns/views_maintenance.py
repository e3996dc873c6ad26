"""Settings → Maintenance: listmonk's maintenance actions, each with what it
would delete now, a confirmation in the browser, and the count it deleted."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from campaigns.maintenance import parse_before_date
from campaigns.services import CampaignError
from campaigns.tracking import gc
from campaigns.tracking.models import CampaignView, LinkClick
from stmails.settings_pages.views import TABS
from subscribers import maintenance
from subscribers.models import MailingList, Subscription

SUBSCRIBER_LABELS = {"blocklisted": "blocklisted", "orphan": "orphan (in no list)"}


def _counts() -> dict[str, int]:
    return {
        "blocklisted": maintenance.gc_candidates("blocklisted").count(),
        "orphan": maintenance.gc_candidates("orphan").count(),
        "unconfirmed": Subscription.objects.filter(
            status=Subscription.Status.UNCONFIRMED,
            list__optin=MailingList.Optin.DOUBLE,
        ).count(),
        "views": CampaignView.objects.count(),
        "clicks": LinkClick.objects.count(),
    }


def _act(request: HttpRequest) -> str:
    """Run the posted action; the message to show. CampaignError for bad input."""
    action = request.POST.get("action", "")
    if action.startswith("subscribers-"):
        kind = action.removeprefix("subscribers-")
        if kind not in maintenance.SUBSCRIBER_KINDS:
            raise CampaignError("action", "unknown action")
        n = maintenance.delete_subscribers_gc(kind)
        return f"Deleted {n} {SUBSCRIBER_LABELS[kind]} subscriber(s)."
    if action == "subscriptions-unconfirmed":
        before = parse_before_date(request.POST.get("before_date"))
        n = maintenance.delete_unconfirmed_subscriptions(before)
        return f"Deleted {n} unconfirmed subscription(s)."
    if action == "analytics":
        kind = request.POST.get("kind", "")
        if kind not in gc.KINDS:
            raise CampaignError("kind", "choose all, views or clicks")
        before = parse_before_date(request.POST.get("analytics_before_date"))
        done = gc.delete_analytics(kind, before)
        return f"Deleted {done.views} view(s) and {done.clicks} click(s)."
    raise CampaignError("action", "unknown action")


@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            messages.success(request, _act(request))
        except CampaignError as err:
            field = err.field
            if field == "before_date" and request.POST.get("action") == "analytics":
                field = "analytics_before_date"
            errors[field] = err.message
        else:
            return redirect("maintenance:index")
    context = {
        "nav": "settings",
        "tabs": TABS,
        "tab": "maintenance",
        "counts": _counts(),
        "errors": errors,
        "posted": request.POST,
        "kinds": gc.KINDS,
    }
    return render(
        request, "campaigns/maintenance.html", context, status=400 if errors else 200
    )
