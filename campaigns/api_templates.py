"""listmonk-compatible /api/templates: parse the request, call one service, render."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import template_services as services
from campaigns.api import ApiError, api_error
from campaigns.errors import CampaignError
from campaigns.models import Template
from stmails.api.paging import reject_unknown_params
from stmails.api.schema import BOOL, TEXT, obj
from stmails.lib.dates import rfc3339
from subscribers.api import body_object

TEMPLATE_BODY = obj(
    ("name", "type", "body"),
    name=TEXT,
    type={"type": "string", "enum": Template.Type.values},
    subject=TEXT,
    body=TEXT,
    body_source={"type": "string", "nullable": True},
)
PREVIEW_BODY = obj(template_type=TEXT, body=TEXT, subject=TEXT)


def template_json(t: Template, *, with_body: bool = True) -> dict[str, Any]:
    return {
        "id": t.id,
        "created_at": rfc3339(t.created_at),
        "updated_at": rfc3339(t.updated_at),
        "name": t.name,
        "type": t.type,
        "subject": t.subject,
        "body": t.body if with_body else "",
        "body_source": t.body_source if with_body else None,
        "is_default": t.is_default,
    }


def _no_body(request: Request) -> bool:
    raw = (request.query_params.get("no_body") or "").strip().lower()
    if raw not in ("", "true", "false", "1", "0"):
        raise ApiError("no_body: must be true or false", 400)
    return raw in ("true", "1")


def _template(pk: int) -> Template:
    try:
        return services.get_template(pk)
    except CampaignError as err:
        raise api_error(err) from None


def _html(html: str) -> HttpResponse:
    return HttpResponse(html, content_type="text/html; charset=utf-8")


class TemplatesView(APIView):
    openapi_body = {"POST": TEMPLATE_BODY}
    openapi_query = {"GET": {"no_body": BOOL}}

    def get(self, request: Request) -> Response:
        # Paging parameters are accepted (listmonk clients send them); the
        # answer is every template either way, as listmonk's.
        reject_unknown_params(request.query_params, {"no_body"})
        with_body = not _no_body(request)
        return Response(
            {
                "data": [
                    template_json(t, with_body=with_body)
                    for t in Template.objects.all()
                ]
            }
        )

    def post(self, request: Request) -> Response:
        try:
            template = services.create_template(body_object(request))
        except CampaignError as err:
            raise api_error(err) from None
        return Response({"data": template_json(template)})


class TemplateView(APIView):
    openapi_body = {"PUT": TEMPLATE_BODY}
    openapi_query = {"GET": {"no_body": BOOL}}

    def get(self, request: Request, pk: int) -> Response:
        with_body = not _no_body(request)
        return Response({"data": template_json(_template(pk), with_body=with_body)})

    def put(self, request: Request, pk: int) -> Response:
        template = _template(pk)
        try:
            template = services.update_template(template, body_object(request))
        except CampaignError as err:
            raise api_error(err) from None
        return Response({"data": template_json(template)})

    def delete(self, request: Request, pk: int) -> Response:
        template = _template(pk)
        try:
            services.delete_template(template)
        except CampaignError as err:
            raise api_error(err) from None
        return Response({"data": True})


class TemplateDefaultView(APIView):
    def put(self, request: Request, pk: int) -> Response:
        try:
            template = services.set_default_template(_template(pk))
        except CampaignError as err:
            raise api_error(err) from None
        return Response({"data": template_json(template)})


class TemplatePreviewView(APIView):
    """An unsaved template rendered around a sample campaign (text/html)."""

    openapi_body = {"POST": PREVIEW_BODY}
    openapi_success_media_type = "text/html"

    def post(self, request: Request) -> HttpResponse:
        data = body_object(request)
        # listmonk's older clients send "typ".
        kind = data.get("template_type") or data.get("typ") or Template.Type.CAMPAIGN
        try:
            html = services.render_template_preview(
                data.get("body"), kind, data.get("subject") or ""
            )
        except CampaignError as err:
            raise api_error(err) from None
        return _html(html)


class SavedTemplatePreviewView(APIView):
    """A saved template rendered; a body in the request previews that instead."""

    openapi_body = {"POST": PREVIEW_BODY}
    openapi_success_media_type = "text/html"

    def get(self, request: Request, pk: int) -> HttpResponse:
        """listmonk's GET /api/templates/{id}/preview: the saved template."""
        template = _template(pk)
        try:
            html = services.render_template_preview(
                template.body, template.type, template.subject
            )
        except CampaignError as err:
            raise api_error(err) from None
        return _html(html)

    def post(self, request: Request, pk: int) -> HttpResponse:
        template = _template(pk)
        data = body_object(request)
        body = data.get("body") or template.body
        kind = data.get("template_type") or data.get("typ") or template.type
        try:
            html = services.render_template_preview(
                body, kind, data.get("subject") or template.subject
            )
        except CampaignError as err:
            raise api_error(err) from None
        return _html(html)
