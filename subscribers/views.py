"""Admin pages for subscribers: parse the form, call one service, render or redirect."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from stmails.listing import safe_next, sort_links
from subscribers import bulk as bulk_actions
from subscribers import services
from subscribers.forms import (
    BulkActionForm,
    MembershipForm,
    SubscriberFilterForm,
    SubscriberForm,
    add_service_error,
)
from subscribers.models import MailingList, Subscriber, Subscription
from subscribers.queries import filter_subscribers, order_subscribers
from subscribers.services import SubscriberError

PER_PAGE = 50
COLUMNS = [
    ("email", "Email"),
    ("name", "Name"),
    ("status", "Status"),
    ("created_at", "Created"),
]
ACTED = {"blocklist": "blocklisted", "delete": "deleted"}
DONE = {"add": "added to", "remove": "removed from", "unsubscribe": "unsubscribed from"}


def get_subscriber(pk: int) -> Subscriber:
    return get_object_or_404(Subscriber, pk=pk)


def index(request: HttpRequest) -> HttpResponse:
    form = SubscriberFilterForm(request.GET)
    order_by = request.GET.get("order_by") or "id"
    order = "asc" if request.GET.get("order") == "asc" else "desc"
    filter_error = ""
    qs = Subscriber.objects.none()
    if form.is_valid():
        try:
            qs = order_subscribers(filter_subscribers(form.params()), order_by, order)
        except SubscriberError as e:
            add_service_error(form, e)
            filter_error = e.message
    else:
        filter_error = "Some filters are invalid."
    qs = qs.prefetch_related(
        Prefetch(
            "subscription_set",
            queryset=Subscription.objects.select_related("list").order_by("list__name"),
        )
    )
    paginator = Paginator(qs, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    export_query = query.copy()
    for key in ("order_by", "order"):
        export_query.pop(key, None)
    context = {
        "nav": "subscribers",
        "form": form,
        "filter_error": filter_error,
        "page": page,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2),
        "query": query.urlencode(),
        "export_query": export_query.urlencode(),
        "columns": sort_links(request, COLUMNS, order_by, order),
        "bulk_lists": MailingList.objects.visible().order_by("name", "id"),
    }
    return render(request, "subscribers/index.html", context)


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    form = SubscriberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscriber = services.create_subscriber(**form.service_kwargs())
        except SubscriberError as e:
            add_service_error(form, e)
        else:
            messages.success(request, f"Subscriber {subscriber.email} created.")
            return redirect("subscribers:detail", pk=subscriber.pk)
    return render(
        request,
        "subscribers/form.html",
        {"nav": "subscribers", "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    subscriber = get_subscriber(pk)
    if request.method == "POST":
        form = SubscriberForm(request.POST)
        if form.is_valid():
            try:
                services.update_subscriber(subscriber, **form.service_kwargs())
            except SubscriberError as e:
                add_service_error(form, e)
            else:
                messages.success(request, f"Subscriber {subscriber.email} saved.")
                return redirect("subscribers:detail", pk=subscriber.pk)
    else:
        form = SubscriberForm.for_subscriber(subscriber)
    context = {"nav": "subscribers", "form": form, "subscriber": subscriber}
    status = 400 if form.errors else 200
    return render(request, "subscribers/form.html", context, status=status)


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscriber = get_subscriber(pk)
    memberships = (
        Subscription.objects.filter(subscriber=subscriber)
        .select_related("list")
        .order_by("list__name", "list_id")
    )
    member_of = {m.list_id for m in memberships}
    context = {
        "nav": "subscribers",
        "subscriber": subscriber,
        "attribs_json": json.dumps(subscriber.attribs, indent=2, ensure_ascii=False),
        "memberships": memberships,
        "add_form": MembershipForm(initial={"action": "add"}),
        "other_lists": MailingList.objects.visible()
        .exclude(id__in=member_of)
        .order_by("name"),
    }
    return render(request, "subscribers/detail.html", context)


@require_POST
def blocklist(request: HttpRequest, pk: int) -> HttpResponse:
    subscriber = get_subscriber(pk)
    services.blocklist_subscribers([subscriber.pk])
    messages.success(
        request, f"{subscriber.email} is blocklisted and unsubscribed from every list."
    )
    return redirect("subscribers:detail", pk=subscriber.pk)


@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    subscriber = get_subscriber(pk)
    services.delete_subscribers([subscriber.pk])
    messages.success(request, f"Subscriber {subscriber.email} deleted.")
    return redirect("subscribers:list")


@require_POST
def memberships(request: HttpRequest, pk: int) -> HttpResponse:
    subscriber = get_subscriber(pk)
    form = MembershipForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("subscribers:detail", pk=subscriber.pk)
    action, lst = form.cleaned_data["action"], form.cleaned_data["list"]
    try:
        services.change_memberships(
            subscriber_ids=[subscriber.pk],
            action=action,
            list_ids=[lst.pk],
            status=form.cleaned_data["status"] or None,
        )
    except SubscriberError as e:
        messages.error(request, e.message)
    else:
        if action == "add" and subscriber.is_blocklisted:
            messages.warning(request, "Blocklisted subscribers are not added to lists.")
        else:
            messages.success(request, f"{subscriber.email} {DONE[action]} {lst.name}.")
    return redirect("subscribers:detail", pk=subscriber.pk)


@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    back = safe_next(request, reverse("subscribers:list"))
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(back)
    data = form.cleaned_data
    action, lst = data["action"], data.get("list")
    try:
        if data.get("scope") == "matching":
            n = bulk_actions.apply_to_matching(
                action, data["filter_params"], lst, expected=data["expected"]
            )
        else:
            n = bulk_actions.apply(action, data["ids"], lst)
    except SubscriberError as e:
        messages.error(request, e.message)
    else:
        if action in ACTED:
            messages.success(request, f"{n} subscriber(s) {ACTED[action]}.")
        else:
            messages.success(request, f"{n} subscriber(s) {DONE[action]} {lst.name}.")
    return redirect(back)
