"""Settings → Event webhooks: endpoints, their secrets, test events, delivery log."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from stmails.event_hooks import services as event_hooks
from stmails.event_hooks.delivery import BACKOFF, MAX_ATTEMPTS
from stmails.event_hooks.forms import EventHookForm
from stmails.models import EventDelivery, EventHook
from stmails.settings_pages.views import TABS

TAB = "event-webhooks"
PER_PAGE = 50
Status = EventDelivery.Status


def _render(
    request: HttpRequest, template: str, context: dict, status: int = 200
) -> HttpResponse:
    context = {"nav": "settings", "tabs": TABS, "tab": TAB, **context}
    return render(request, template, context, status=status)


def get_hook(pk: int) -> EventHook:
    return get_object_or_404(EventHook, pk=pk)


def hooks(request: HttpRequest) -> HttpResponse:
    rows = list(EventHook.objects.all())
    # Grouped from the status index: not a scan of every endpoint's whole log.
    counts = (
        EventDelivery.objects.filter(
            status__in=[Status.FAILED, Status.QUEUED, Status.AWAITING_RETRY]
        )
        .values("hook_id")
        .annotate(
            failed=Count("id", filter=Q(status=Status.FAILED)),
            waiting=Count("id", filter=~Q(status=Status.FAILED)),
        )
    )
    by_hook = {c["hook_id"]: c for c in counts}
    for hook in rows:
        found = by_hook.get(hook.pk, {})
        hook.failed, hook.waiting = found.get("failed", 0), found.get("waiting", 0)
    return _render(
        request,
        "settings/event_hooks.html",
        {"hooks": rows, "event_types": event_hooks.EVENT_TYPES},
    )


def _edit_page(
    request: HttpRequest,
    form: EventHookForm,
    hook: EventHook | None,
    *,
    new_secret: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "hook": hook,
        "new_secret": new_secret,
        "max_attempts": MAX_ATTEMPTS,
        "backoff": BACKOFF,
    }
    return _render(request, "settings/event_hook.html", context, status)


@require_http_methods(["GET", "POST"])
def hook_new(request: HttpRequest) -> HttpResponse:
    form = EventHookForm(request.POST or None, initial={"enabled": True})
    if request.method == "POST" and form.is_valid():
        hook, secret = event_hooks.create_hook(**form.cleaned_data)
        messages.success(request, f"Endpoint {hook.name} added.")
        # Rendered, not redirected: the secret is stored nowhere in the clear,
        # not even in the session, so this response is its only appearance.
        return _edit_page(
            request, EventHookForm(instance=hook), hook, new_secret=secret
        )
    status = 400 if form.errors else 200
    return _edit_page(request, form, None, status=status)


@require_http_methods(["GET", "POST"])
def hook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    hook = get_hook(pk)
    form = EventHookForm(request.POST or None, instance=hook)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Endpoint {hook.name} saved.")
        return redirect("settings:event-webhooks")
    status = 400 if form.errors else 200
    return _edit_page(request, form, hook, status=status)


@require_POST
def hook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    hook = get_hook(pk)
    secret = event_hooks.rotate_secret(hook)
    messages.success(
        request,
        f"New secret for {hook.name}. The old one also signs for the next "
        f"{int(event_hooks.ROTATION_OVERLAP.total_seconds() // 3600)} hours.",
    )
    return _edit_page(request, EventHookForm(instance=hook), hook, new_secret=secret)


@require_POST
def hook_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    hook = get_hook(pk)
    hook.enabled = not hook.enabled
    hook.save(update_fields=["enabled", "updated_at"])
    state = "enabled" if hook.enabled else "disabled"
    messages.success(request, f"Endpoint {hook.name} {state}.")
    return redirect("settings:event-webhooks")


@require_POST
def hook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    hook = get_hook(pk)
    hook.delete()
    messages.success(request, f"Endpoint {hook.name} and its delivery log deleted.")
    return redirect("settings:event-webhooks")


@require_POST
def hook_test(request: HttpRequest, pk: int) -> HttpResponse:
    hook = get_hook(pk)
    if not hook.enabled:
        messages.error(request, f"Enable {hook.name} to send it a test event.")
        return redirect("settings:event-webhooks")
    delivery = event_hooks.send_test_event(hook)
    messages.success(
        request,
        f"Test event {delivery.message_id} queued; its result shows below.",
    )
    return redirect("settings:event-webhook-deliveries", pk=hook.pk)


def event_filters() -> list[str]:
    """The delivery log's event filter: every type, then each family
    ("alert.*": both alert events, the Alerts page links there)."""
    types = [*event_hooks.EVENT_TYPES, event_hooks.TEST_PING]
    families = dict.fromkeys(t.split(".")[0] + ".*" for t in types)
    return types + [f for f in families if sum(t.startswith(f[:-1]) for t in types) > 1]


def deliveries(request: HttpRequest, pk: int) -> HttpResponse:
    hook = get_hook(pk)
    qs = EventDelivery.objects.filter(hook=hook).order_by("-id")
    status = request.GET.get("status") or ""
    if status in Status.values:
        qs = qs.filter(status=status)
    event = request.GET.get("event") or ""
    if event not in event_filters():
        event = ""
    elif event.endswith(".*"):
        qs = qs.filter(event_type__startswith=event[:-1])
    else:
        qs = qs.filter(event_type=event)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "hook": hook,
        "page": page,
        "status": status,
        "statuses": Status.choices,
        "event": event,
        "events": event_filters(),
        "failed": EventDelivery.objects.filter(hook=hook, status=Status.FAILED).count(),
    }
    return _render(request, "settings/event_hook_deliveries.html", context)


def delivery(request: HttpRequest, pk: int, delivery_id: int) -> HttpResponse:
    row = get_object_or_404(EventDelivery, pk=delivery_id, hook_id=pk)
    return _render(
        request, "settings/event_hook_delivery.html", {"d": row, "hook": row.hook}
    )


@require_POST
def delivery_retry(request: HttpRequest, pk: int, delivery_id: int) -> HttpResponse:
    row = get_object_or_404(EventDelivery, pk=delivery_id, hook_id=pk)
    if event_hooks.retry_delivery(row):
        messages.success(request, f"Delivery {row.message_id} queued again.")
    else:
        messages.error(request, f"Delivery {row.message_id} is not waiting or failed.")
    return redirect(reverse("settings:event-webhook-deliveries", args=[pk]))


@require_POST
def retry_failed(request: HttpRequest, pk: int) -> HttpResponse:
    hook = get_hook(pk)
    count = event_hooks.retry_failed(hook)
    messages.success(request, f"{count} failed deliveries queued again.")
    return redirect(reverse("settings:event-webhook-deliveries", args=[pk]))
