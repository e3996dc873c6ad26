"""Admin pages for mailing lists."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from subscribers import services
from subscribers.forms import ListForm, add_service_error
from subscribers.models import MailingList, Subscription
from subscribers.services import SubscriberError


def lists_with_counts() -> QuerySet[MailingList]:
    """Each list with its member count per subscription status, in one query."""
    counts = {
        status: Count("subscription", filter=Q(subscription__status=status))
        for status in Subscription.Status.values
    }
    return MailingList.objects.visible().annotate(**counts)


def get_list(pk: int) -> MailingList:
    return get_object_or_404(lists_with_counts(), pk=pk)


def index(request: HttpRequest) -> HttpResponse:
    lists = lists_with_counts().order_by("name", "id")
    return render(request, "lists/index.html", {"nav": "lists", "lists": lists})


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    form = ListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lst = services.create_list(form.cleaned_data)
        except SubscriberError as e:
            add_service_error(form, e)
        else:
            messages.success(request, f"List {lst.name} created.")
            return redirect("subscribers:lists")
    return render(
        request,
        "lists/form.html",
        {"nav": "lists", "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    lst = get_object_or_404(MailingList, pk=pk)
    if request.method == "POST":
        form = ListForm(request.POST)
        if form.is_valid():
            try:
                services.update_list(lst, form.cleaned_data)
            except SubscriberError as e:
                add_service_error(form, e)
            else:
                messages.success(request, f"List {lst.name} saved.")
                return redirect("subscribers:list_detail", pk=lst.pk)
    else:
        form = ListForm.for_list(lst)
    return render(
        request,
        "lists/form.html",
        {"nav": "lists", "form": form, "mlist": lst},
        status=400 if form.errors else 200,
    )


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "lists/detail.html", {"nav": "lists", "mlist": get_list(pk)})


@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    lst = get_object_or_404(MailingList, pk=pk)
    services.delete_lists([lst.pk])
    messages.success(request, f"List {lst.name} deleted.")
    return redirect("subscribers:lists")
