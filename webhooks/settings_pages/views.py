"""Settings → Bounces → Provider webhooks, and the recent webhook events."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from stmails import config
from stmails.models import SettingsChange
from stmails.settings_pages.views import TABS
from webhooks import services
from webhooks.forms import ProviderForm
from webhooks.models import WebhookEvent
from webhooks.providers.registry import PROVIDERS, get_provider


def _endpoint(request: HttpRequest, slug: str) -> str:
    root = config.get_values("app.root_url")["app.root_url"]
    return f"{root.rstrip('/')}/webhooks/service/{slug}"


def _render(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    context = {"nav": "settings", "tabs": TABS, "tab": "bounces", **context}
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def providers(request: HttpRequest) -> HttpResponse:
    masked = config.get_masked_settings()
    posted = request.POST.get("provider") if request.method == "POST" else None
    if posted is not None and get_provider(posted) is None:
        raise Http404("no such provider")
    summaries = services.provider_summaries(list(PROVIDERS))
    cards, status = [], 200
    for slug, provider in PROVIDERS.items():
        if slug == posted:
            form = ProviderForm(provider, request.POST, masked=masked)
            if form.is_valid():
                try:
                    config.update_settings(
                        form.changes(), actor=SettingsChange.actor_for(request.user)
                    )
                except config.SettingsError as e:
                    form.add_settings_error(e.field, e.message)
                else:
                    messages.success(request, f"{provider.label} settings saved.")
                    return redirect(f"{request.path}#provider-{slug}")
            status = 400
        else:
            form = ProviderForm(
                provider,
                masked=masked,
                initial=ProviderForm.initial_from(provider, masked),
            )
        cards.append(
            {
                "provider": provider,
                "form": form,
                "endpoint": _endpoint(request, slug),
                "summary": summaries.get(slug, {}),
            }
        )
    context = {
        "cards": cards,
        "ses_armed": masked["bounce.ses_accept_next_subscription"],
    }
    return _render(request, "webhooks/providers.html", context, status)


@require_POST
def ses_arm(request: HttpRequest) -> HttpResponse:
    arm = request.POST.get("arm") == "1"
    config.update_settings(
        {"bounce.ses_accept_next_subscription": arm},
        actor=SettingsChange.actor_for(request.user),
    )
    if arm:
        messages.success(
            request,
            "Armed: the next SNS subscription confirmation from a new topic will be "
            "accepted and its topic remembered.",
        )
    else:
        messages.info(request, "Disarmed: only the listed topics are accepted.")
    return redirect("webhook_settings:providers")


def events(request: HttpRequest) -> HttpResponse:
    rows = WebhookEvent.objects.order_by("-received_at", "-id").defer(
        "payload", "headers"
    )
    provider = request.GET.get("provider", "")
    status = request.GET.get("status", "")
    if provider:
        rows = rows.filter(provider=provider)
    if status in WebhookEvent.Status.values:
        rows = rows.filter(status=status)
    summaries = services.provider_summaries(list(PROVIDERS))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "provider": provider,
        "status": status,
        "providers": list(PROVIDERS.values()),
        "statuses": WebhookEvent.Status.values,
        "summary_rows": [(p, summaries.get(p.slug, {})) for p in PROVIDERS.values()],
    }
    return _render(request, "webhooks/events.html", context)


@require_POST
def rerun(request: HttpRequest, event_id: int) -> HttpResponse:
    try:
        status = services.rerun_event(event_id)
    except services.WebhookError as e:
        messages.error(request, e.message)
    else:
        event = WebhookEvent.objects.filter(id=event_id).first()
        detail = f": {event.error}" if event and event.error else ""
        messages.success(request, f"Event {event_id} re-run: {status}{detail}")
    url = reverse("webhook_settings:events")
    provider = request.POST.get("provider", "")
    return redirect(f"{url}?provider={provider}" if provider in PROVIDERS else url)
