"""The Transactional log page: each mail POST /api/tx queued, newest first,
and its "Send a test transactional mail" form."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from campaigns import tx, tx_log
from campaigns.models import Template
from campaigns.services import CampaignError
from campaigns.tx_forms import FIELD_OF, TxTestForm
from stmails.lib.input_checks import InvalidInput
from stmails.models import OutgoingMail

PER_PAGE = 50


def _page(request: HttpRequest, form: TxTestForm, *, status: int = 200) -> HttpResponse:
    status_filter = request.GET.get("status", "")
    template_id = request.GET.get("template", "")
    error = ""
    try:
        qs = tx_log.find_messages(status=status_filter, template_id=template_id)
    except InvalidInput as err:
        # A hand-edited query string: say so and show everything.
        error, status_filter, template_id = str(err), "", ""
        qs = tx_log.find_messages()
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    names = tx_log.template_names(page)
    context = {
        "nav": "campaigns",
        "page": page,
        "rows": [(m, tx_log.template_label(m, names)) for m in page],
        "status": status_filter,
        "statuses": OutgoingMail.Status.values,
        "template_id": template_id,
        "templates": Template.objects.filter(type=Template.Type.TX).order_by("name"),
        "filter_error": error,
        "form": form,
    }
    return render(request, "campaigns/tx_log.html", context, status=status)


@require_GET
def tx_log_view(request: HttpRequest) -> HttpResponse:
    return _page(request, TxTestForm())


@require_POST
def tx_test_view(request: HttpRequest) -> HttpResponse:
    form = TxTestForm(request.POST)
    if form.is_valid():
        try:
            tx.send_tx(form.tx_request())
        except CampaignError as err:
            form.add_error(FIELD_OF.get(err.field), err.message)
        else:
            messages.success(
                request,
                f"Test transactional mail queued for {form.cleaned_data['email']}.",
            )
            return redirect("campaigns:tx_log")
    return _page(request, form, status=400)
