"""The Transactional log page: each mail POST /api/tx queued, newest first."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from campaigns import tx_log
from campaigns.models import Template
from stmails.lib.input_checks import InvalidInput
from stmails.models import OutgoingMail

PER_PAGE = 50


@require_GET
def tx_log_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    template_id = request.GET.get("template", "")
    error = ""
    try:
        qs = tx_log.find_messages(status=status, template_id=template_id)
    except InvalidInput as err:
        # A hand-edited query string: say so and show everything.
        error, status, template_id = str(err), "", ""
        qs = tx_log.find_messages()
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    names = tx_log.template_names(page)
    context = {
        "nav": "campaigns",
        "page": page,
        "rows": [(m, tx_log.template_label(m, names)) for m in page],
        "status": status,
        "statuses": OutgoingMail.Status.values,
        "template_id": template_id,
        "templates": Template.objects.filter(type=Template.Type.TX).order_by("name"),
        "filter_error": error,
    }
    return render(request, "campaigns/tx_log.html", context)
