"""Unmatched bounces of every source (and why), raw messages and payloads, undo."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from bounces import services
from bounces.models import Bounce, RawMessage, UnmatchedBounce

PER_PAGE = 50
DONE = {"blocklist": "blocklist lifted", "unsubscribe": "subscriptions restored"}


def unmatched(request: HttpRequest) -> HttpResponse:
    # The payloads stay in the database: the list only says whether there is one.
    qs = UnmatchedBounce.objects.defer("payload").annotate(
        has_payload=Q(payload__isnull=False)
    )
    reason = request.GET.get("reason") or ""
    if reason in UnmatchedBounce.Reason.values:
        qs = qs.filter(reason=reason)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "nav": "bounces",
        "page": page,
        "reason": reason,
        "reasons": UnmatchedBounce.Reason.choices,
        "total": UnmatchedBounce.objects.count(),
    }
    return render(request, "bounces/unmatched.html", context)


def _download(raw: RawMessage | None, filename: str) -> HttpResponse:
    if raw is None:
        return HttpResponse("no raw message was kept", status=404)
    response = HttpResponse(bytes(raw.data), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def unmatched_raw(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(
        UnmatchedBounce.objects.select_related("raw_message"), pk=pk
    )
    return _download(entry.raw_message, f"unmatched-{entry.pk}.eml")


def unmatched_payload(request: HttpRequest, pk: int) -> HttpResponse:
    """What a provider or the API sent for an unmatched bounce, as JSON."""
    entry = get_object_or_404(UnmatchedBounce, pk=pk, payload__isnull=False)
    response = HttpResponse(
        json.dumps(entry.payload, indent=2, sort_keys=True, default=str),
        content_type="application/json",
    )
    response["Content-Disposition"] = f'attachment; filename="unmatched-{pk}.json"'
    return response


@require_POST
def unmatched_delete(request: HttpRequest) -> HttpResponse:
    if request.POST.get("all") == "true":
        count = services.delete_unmatched(all_entries=True)
    else:
        try:
            ids = [int(v) for v in request.POST.getlist("id")]
        except ValueError:
            ids = []
        if not ids:
            messages.error(request, "Select the entries to delete first.")
            return redirect("bounces:unmatched")
        count = services.delete_unmatched(ids=ids)
    messages.success(request, f"Deleted {count} unmatched bounce(s).")
    return redirect("bounces:unmatched")


def bounce_raw(request: HttpRequest, pk: int) -> HttpResponse:
    bounce = get_object_or_404(
        Bounce.objects.select_related("raw_message", "subscriber", "campaign"), pk=pk
    )
    raw = bounce.raw_message
    context = {
        "nav": "bounces",
        "bounce": bounce,
        "raw": raw,
        "text": bytes(raw.data).decode("utf-8", "replace") if raw else "",
        "actions": bounce.subscriber.bounce_actions.filter(
            last_bounce_id=bounce.id, reverted_at=None
        ),
    }
    return render(request, "bounces/raw.html", context)


def bounce_raw_download(request: HttpRequest, pk: int) -> HttpResponse:
    bounce = get_object_or_404(Bounce.objects.select_related("raw_message"), pk=pk)
    return _download(bounce.raw_message, f"bounce-{bounce.pk}.eml")


@require_POST
def bounce_undo(request: HttpRequest, pk: int) -> HttpResponse:
    bounce = get_object_or_404(Bounce, pk=pk)
    result = services.undo_bounce(bounce)
    done = "; ".join(DONE.get(a, a) for a in result.reverted)
    messages.success(
        request,
        f"Bounce of {result.email} deleted as false" + (f"; {done}." if done else "."),
    )
    return redirect(reverse("bounces:index"))
