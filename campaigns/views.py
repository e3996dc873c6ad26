"""Admin pages for campaigns: list, form, preview, detail with status actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateSyntaxError
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from campaigns import services
from campaigns.forms import CampaignForm
from campaigns.models import Campaign
from campaigns.preview import SAMPLE, render_preview
from campaigns.rendering import TemplateError
from campaigns.services import CampaignError
from campaigns.stats import bounce_counts, delivery_progress
from campaigns.test_send import parse_addresses, send_test
from stmails.lib.input_checks import InvalidInput, parse_id
from subscribers.models import Subscriber
from subscribers.queries import find_subscriber_by_email

# Button label -> target status; resume and start both mean "running".
ACTIONS = {
    "start": "running",
    "resume": "running",
    "schedule": "scheduled",
    "pause": "paused",
    "cancel": "cancelled",
}
# What the page says after each action.
DONE = {
    "start": "started",
    "resume": "resumed",
    "schedule": "scheduled",
    "pause": "paused",
    "cancel": "cancelled",
}
# Actions that send: without an unsubscribe link in the body or its template
# they need the "send anyway" box ticked (the List-Unsubscribe header alone is
# invisible in most mail clients).
SENDING_ACTIONS = {"start", "schedule"}
NO_UNSUBSCRIBE = (
    "Neither the body nor its template has an unsubscribe link "
    "({{ unsubscribe_url }} or {{ UnsubscribeURL }})"
)
# Asked in the browser before the action runs.
CONFIRM = {
    "start": "Start sending this campaign to its lists now?",
    "resume": "Resume sending this campaign?",
    "cancel": "Cancel this campaign? Mail not sent yet will never be sent.",
}


def index(request: HttpRequest) -> HttpResponse:
    qs = Campaign.objects.prefetch_related("campaign_lists").order_by("-id")
    status = request.GET.get("status", "")
    if status in Campaign.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    counts = bounce_counts(c.id for c in page)
    rows = [(c, counts[c.id]) for c in page]
    context = {
        "nav": "campaigns",
        "page": page,
        "rows": rows,
        "status": status,
        "statuses": Campaign.Status.values,
    }
    return render(request, "campaigns/index.html", context)


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    form = CampaignForm.for_new(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.create_campaign(form.service_data())
        except CampaignError as e:
            form.add_service_error(e)
        else:
            messages.success(request, f"Campaign {campaign.name} created.")
            return redirect("campaigns:detail", campaign.pk)
    return render(
        request,
        "campaigns/form.html",
        {"nav": "campaigns", "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    form = CampaignForm(request.POST) if request.method == "POST" else None
    if form is not None and form.is_valid():
        try:
            services.update_campaign(campaign, form.service_data())
        except CampaignError as e:
            form.add_service_error(e)
        else:
            messages.success(request, f"Campaign {campaign.name} saved.")
            return redirect("campaigns:detail", campaign.pk)
    context = {
        "nav": "campaigns",
        "form": form or CampaignForm.for_campaign(campaign),
        "campaign": campaign,
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "campaigns/form.html", context, status=status)


def detail(
    request: HttpRequest, pk: int, test_form: dict | None = None
) -> HttpResponse:
    campaign = get_object_or_404(
        Campaign.objects.prefetch_related("campaign_lists").select_related(
            "template", "archive_template"
        ),
        pk=pk,
    )
    allowed = services.TRANSITIONS[campaign.status]
    actions = [
        a
        for a, target in ACTIONS.items()
        if target in allowed
        and (a != "resume" or campaign.status == "paused")
        and (a != "start" or campaign.status != "paused")
    ]
    context = {
        "nav": "campaigns",
        "campaign": campaign,
        "progress": delivery_progress(campaign),
        "bounces": bounce_counts([pk])[pk],
        "actions": [(a, CONFIRM.get(a, "")) for a in actions],
        "delete_needs_name": campaign.mail_went_out(),
        "missing_unsubscribe": not campaign.has_unsubscribe_link(),
        "sending_actions": SENDING_ACTIONS,
        "editable": campaign.status in services.EDITABLE,
        "test_form": test_form or {},
    }
    status = 400 if test_form else 200
    return render(request, "campaigns/detail.html", context, status=status)


def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign rendered for a chosen subscriber (?email=<address> or
    ?subscriber=<id>) or a sample; an unknown one says so beside the field."""
    campaign = get_object_or_404(Campaign, pk=pk)
    subscriber = SAMPLE
    chosen, not_found = choose_preview_subscriber(request.GET)
    if chosen is not None:
        subscriber = {
            "name": chosen.name,
            "email": chosen.email,
            "uuid": chosen.uuid,
            "attribs": chosen.attribs,
        }
    error = ""
    rendered = None
    try:
        rendered = render_preview(campaign, subscriber=subscriber)
    except (TemplateSyntaxError, TemplateError) as e:
        error = str(e)
    context = {
        "nav": "campaigns",
        "campaign": campaign,
        "rendered": rendered,
        "error": error,
        "subscriber": subscriber,
        "not_found": not_found,
        "email": (request.GET.get("email") or "").strip()[:320],
    }
    return render(request, "campaigns/preview.html", context)


def choose_preview_subscriber(query: QueryDict) -> tuple[Subscriber | None, str]:
    """The subscriber asked for by email (case-insensitive) or id, and a message
    when the one asked for does not exist (the preview then uses the sample)."""
    email = (query.get("email") or "").strip()[:320]
    if email:
        found = find_subscriber_by_email(email)
        if found is None:
            return (
                None,
                "No subscriber has this address: the sample subscriber is shown.",
            )
        return found, ""
    raw = (query.get("subscriber") or "").strip()
    if not raw:
        return None, ""
    try:
        found = Subscriber.objects.filter(pk=parse_id(raw, "subscriber")).first()
    except InvalidInput:
        found = None
    if found is None:
        return None, "No subscriber has this id: the sample subscriber is shown."
    return found, ""


@require_POST
def status(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    action = request.POST.get("action", "")
    if (
        action in SENDING_ACTIONS
        and not campaign.has_unsubscribe_link()
        and request.POST.get("no_unsubscribe_ok") != "1"
    ):
        messages.error(
            request,
            f"Not {DONE[action]}: {NO_UNSUBSCRIBE}. Add one, or tick "
            '"Send without an unsubscribe link".',
        )
        return redirect("campaigns:detail", pk)
    try:
        services.change_status(campaign, ACTIONS.get(action, action))
    except CampaignError as e:
        messages.error(request, str(e))
    else:
        messages.success(
            request, f"Campaign {campaign.name} {DONE.get(action, action)}."
        )
    return redirect("campaigns:detail", pk)


@require_POST
def clone(request: HttpRequest, pk: int) -> HttpResponse:
    """The detail page's "Clone": a draft copy, named as asked."""
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        copy = services.clone_campaign(campaign, request.POST.get("name", ""))
    except CampaignError as e:
        messages.error(request, f"Not cloned: {e}")
        return redirect("campaigns:detail", pk)
    messages.success(request, f"Campaign {copy.name} created from {campaign.name}.")
    return redirect("campaigns:detail", copy.pk)


@require_GET
def progress(request: HttpRequest, pk: int) -> JsonResponse:
    """What the detail page polls while the campaign runs."""
    return JsonResponse(delivery_progress(get_object_or_404(Campaign, pk=pk)))


@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    typed = request.POST.get("confirm_name", "").strip()
    # Deleting a campaign whose mail went out deletes its delivery history
    # too: that takes the campaign's name typed, not one click.
    if campaign.mail_went_out() and typed != campaign.name.strip():
        messages.error(
            request,
            "Not deleted: type the campaign's name to delete a campaign whose "
            "mail went out (its delivery history goes with it).",
        )
        return redirect("campaigns:detail", pk)
    try:
        services.delete_campaign(campaign)
    except CampaignError as e:
        messages.error(request, str(e))
        return redirect("campaigns:detail", pk)
    messages.success(request, f"Campaign {campaign.name} deleted.")
    return redirect("campaigns:list")


@require_POST
def test_send(request: HttpRequest, pk: int) -> HttpResponse:
    """The detail page's "Send test" form: the saved campaign to subscribers."""
    campaign = get_object_or_404(Campaign, pk=pk)
    raw = request.POST.get("subscribers", "")
    try:
        sent = send_test(campaign, parse_addresses(raw))
    except CampaignError as e:
        # Shown beside the field, with what was typed.
        return detail(request, pk, test_form={"error": e.message, "value": raw})
    messages.success(request, f"Test sent to {sent} address(es).")
    return redirect("campaigns:detail", pk)
