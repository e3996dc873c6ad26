"""Admin pages for templates: list, editor with live preview, default, clone, delete."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from campaigns import template_services as services
from campaigns.errors import CampaignError
from campaigns.forms_templates import TemplateForm
from campaigns.models import Template


def index(request: HttpRequest) -> HttpResponse:
    templates = Template.objects.annotate(
        used=Count("campaigns", distinct=True)
        + Count("archive_campaigns", distinct=True)
    ).order_by("id")
    return render(
        request,
        "campaigns/templates_index.html",
        {"nav": "templates", "templates": templates},
    )


def _editor(
    request: HttpRequest, form: TemplateForm, template: Template | None, status: int
) -> HttpResponse:
    preview, preview_error = "", ""
    body = form.data.get("body") if form.is_bound else form.initial.get("body")
    kind = form.data.get("type") if form.is_bound else form.initial.get("type")
    subject = form.data.get("subject") if form.is_bound else form.initial.get("subject")
    if body:
        try:
            preview = services.render_template_preview(body, kind, subject or "")
        except CampaignError as err:
            preview_error = err.message
    context = {
        "nav": "templates",
        "form": form,
        "template": template,
        "preview": preview,
        "preview_error": preview_error,
    }
    return render(request, "campaigns/templates_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    form = TemplateForm(request.POST or None, initial={"type": Template.Type.CAMPAIGN})
    if request.method == "POST" and form.is_valid():
        try:
            template = services.create_template(form.service_data())
        except CampaignError as err:
            form.add_service_error(err)
        else:
            messages.success(request, f"Template {template.name} created.")
            return redirect("templates:edit", template.pk)
    return _editor(request, form, None, 400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(Template, pk=pk)
    if request.method == "POST":
        form = TemplateForm(request.POST)
        if form.is_valid():
            try:
                services.update_template(template, form.service_data())
            except CampaignError as err:
                form.add_service_error(err)
            else:
                messages.success(request, f"Template {template.name} saved.")
                return redirect("templates:edit", template.pk)
        return _editor(request, form, template, 400)
    return _editor(request, TemplateForm.for_template(template), template, 200)


@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """What the editor's live preview posts: the unsaved body, rendered."""
    try:
        html = services.render_template_preview(
            request.POST.get("body", ""),
            request.POST.get("type", Template.Type.CAMPAIGN),
            request.POST.get("subject", ""),
        )
    except CampaignError as err:
        return HttpResponse(
            err.message, status=400, content_type="text/plain; charset=utf-8"
        )
    return HttpResponse(html, content_type="text/html; charset=utf-8")


@require_POST
def clone(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(Template, pk=pk)
    try:
        copy = services.clone_template(template, request.POST.get("name", ""))
    except CampaignError as err:
        messages.error(request, f"Not cloned: {err}")
        return redirect("templates:list")
    messages.success(request, f"Template {copy.name} created.")
    return redirect("templates:edit", copy.pk)


@require_POST
def set_default(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(Template, pk=pk)
    try:
        services.set_default_template(template)
    except CampaignError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, f"{template.name} is now the default template.")
    return redirect("templates:list")


@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(Template, pk=pk)
    try:
        services.delete_template(template)
    except CampaignError as err:
        messages.error(request, f"{template.name} was not deleted: {err.message}.")
    else:
        messages.success(request, f"Template {template.name} deleted.")
    return redirect("templates:list")
