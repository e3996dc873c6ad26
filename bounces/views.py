"""The Bounces page and its actions: parse the input, call one service, render or redirect."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from bounces import chart, services
from bounces.forms import BounceFilterForm
from bounces.models import Bounce
from bounces.queries import filter_bounces, order_bounces
from bounces.services import BounceError
from stmails.config import get_value
from stmails.listing import safe_next, sort_links
from subscribers.models import Subscriber

PER_PAGE = 50
COLUMNS = [
    ("email", "Email"),
    (None, "Status"),
    ("campaign_name", "Campaign"),
    ("source", "Source"),
    ("type", "Type"),
    ("reason", "Reason"),
    ("created_at", "Created"),
]


def index(request: HttpRequest) -> HttpResponse:
    form = BounceFilterForm(request.GET)
    order_by = request.GET.get("order_by") or "created_at"
    if order_by not in {key for key, _ in COLUMNS if key}:
        order_by = "created_at"
    order = "asc" if request.GET.get("order") == "asc" else "desc"
    qs = Bounce.objects.none()
    params: dict[str, str] = {}
    if form.is_valid():
        params = form.params()
        try:
            qs = filter_bounces(params)
        except BounceError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
            qs = Bounce.objects.none()
    start, end = chart.chart_range(*form.date_range())
    days = chart.daily_counts(qs, start, end)
    rows = order_bounces(qs, order_by, order).select_related("subscriber", "campaign")
    paginator = Paginator(rows, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    export = dict(params, format="csv", order_by=order_by, order=order)
    context = {
        "nav": "bounces",
        "form": form,
        "page": page,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2),
        "query": query.urlencode(),
        "columns": sort_links(request, COLUMNS, order_by, order),
        "chart": chart.stacked_bars(days),
        "chart_start": start,
        "chart_end": end,
        "export_url": reverse("api-bounces") + "?" + urlencode(export),
        "bounce_enabled": get_value("bounce.enabled"),
        # Unfiltered, the paginator already counted every bounce.
        "total_bounces": paginator.count
        if form.is_valid() and not params
        else Bounce.objects.count(),
    }
    # A bad filter (an unparseable or inverted date, say) is a 400 with the
    # error beside its field, not a silently empty table.
    status = 400 if form.errors else 200
    return render(request, "bounces/index.html", context, status=status)


@require_POST
def delete_selected(request: HttpRequest) -> HttpResponse:
    try:
        ids = [int(v) for v in request.POST.getlist("id")]
    except ValueError:
        ids = []
    if not ids:
        messages.error(request, "Select the bounces to delete first.")
    else:
        count = services.delete_bounces(ids=ids)
        messages.success(request, f"Deleted {count} bounce(s).")
    return redirect(safe_next(request, reverse("bounces:index")))


@require_POST
def delete_all(request: HttpRequest) -> HttpResponse:
    if request.POST.get("confirm") != "all":
        messages.error(request, "Tick the confirmation to delete all bounces.")
        return redirect(safe_next(request, reverse("bounces:index")))
    count = services.delete_bounces(all_bounces=True)
    messages.success(request, f"Deleted all {count} bounce(s).")
    return redirect(reverse("bounces:index"))


@require_POST
def blocklist_all(request: HttpRequest) -> HttpResponse:
    count = services.blocklist_bounced_subscribers()
    messages.success(
        request, f"Blocklisted {count} bounced subscriber(s) and unsubscribed them."
    )
    return redirect(safe_next(request, reverse("bounces:index")))


@require_POST
def reset_subscriber(request: HttpRequest, pk: int) -> HttpResponse:
    subscriber = get_object_or_404(Subscriber, pk=pk)
    count = services.delete_subscriber_bounces(subscriber)
    messages.success(
        request,
        f"Deleted {count} bounce(s) of {subscriber.email}: the bounce count is reset.",
    )
    return redirect(
        safe_next(request, reverse("subscribers:detail", args=[subscriber.pk]))
    )
