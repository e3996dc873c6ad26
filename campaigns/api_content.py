"""listmonk's campaign content routes: preview (GET/POST), plain-text preview,
content-type conversion, and the running campaigns' stats."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.template import TemplateSyntaxError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.api import api_error, get_campaign
from campaigns.content_convert import ConvertError, convert
from campaigns.models import Campaign
from campaigns.preview import render_preview
from campaigns.rendering import Rendered
from campaigns.services import CampaignError
from campaigns.stats import running_stats
from stmails.api.errors import BadRequest
from stmails.api.paging import reject_unknown_params
from stmails.api.schema import ID, TEXT, obj
from stmails.lib.input_checks import parse_id
from subscribers.api import body_object

PREVIEW_BODY = obj(body=TEXT, content_type=TEXT, template_id=ID)
CONTENT_TYPES = {"type": "string", "enum": list(Campaign.ContentType.values)}


def _edits(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in ("body", "content_type", "template_id") if k in data}


def rendered_preview(campaign: Campaign, edits: dict[str, Any]) -> Rendered:
    try:
        return render_preview(campaign, edits=edits)
    except CampaignError as err:
        raise api_error(err) from None
    except TemplateSyntaxError as err:
        raise bad_template(err) from None


def bad_template(err: TemplateSyntaxError) -> BadRequest:
    """A 400 naming the part (subject, body, altbody, template) that failed."""
    part = getattr(err, "part", "") or "body"
    return BadRequest(part, f"template error: {err}")


def html_or_text(rendered: Rendered) -> HttpResponse:
    if rendered.html:
        return HttpResponse(rendered.html, content_type="text/html; charset=utf-8")
    return HttpResponse(rendered.text, content_type="text/plain; charset=utf-8")


class CampaignPreviewView(APIView):
    """The campaign rendered for a sample subscriber, as text/html (text/plain
    for a plain-text campaign); POST renders an unsaved body and content type."""

    openapi_body = {"POST": PREVIEW_BODY}
    openapi_query = {"GET": {"template_id": ID}}

    def get(self, request: Request, pk: int) -> HttpResponse:
        reject_unknown_params(request.query_params, {"template_id"})
        campaign = get_campaign(pk)
        return html_or_text(rendered_preview(campaign, _edits(request.query_params)))

    def post(self, request: Request, pk: int) -> HttpResponse:
        campaign = get_campaign(pk)
        return html_or_text(rendered_preview(campaign, _edits(body_object(request))))


class CampaignTextView(APIView):
    """The plain-text part subscribers would get (the altbody, else the text
    made from the HTML), for the saved campaign or a posted body."""

    openapi_body = {"POST": PREVIEW_BODY}

    def post(self, request: Request, pk: int) -> HttpResponse:
        campaign = get_campaign(pk)
        rendered = rendered_preview(campaign, _edits(body_object(request)))
        return HttpResponse(rendered.text, content_type="text/plain; charset=utf-8")


class CampaignContentView(APIView):
    """listmonk's content conversion: {from, to, body} -> the body rewritten."""

    openapi_body = {
        "POST": obj(
            ("from", "to"), body=TEXT, to=CONTENT_TYPES, **{"from": CONTENT_TYPES}
        )
    }

    def post(self, request: Request, pk: int) -> Response:
        campaign = get_campaign(pk)
        data = body_object(request)
        body = data.get("body", campaign.body)
        if not isinstance(body, str):
            raise BadRequest("body", "must be a string")
        source = data.get("from") or campaign.content_type
        try:
            return Response({"data": convert(body, source, data.get("to"))})
        except ConvertError as err:
            raise BadRequest(err.field, err.message) from None


class RunningStatsView(APIView):
    openapi_query = {"GET": {"campaign_id": ID}}

    def get(self, request: Request) -> Response:
        # listmonk takes campaign_id and answers every running campaign anyway;
        # here the ids, when given, narrow the answer.
        reject_unknown_params(request.query_params, {"campaign_id"})
        raw = [v for v in request.query_params.getlist("campaign_id") if v.strip()]
        stats = running_stats()
        if raw:
            wanted = {parse_id(v, "campaign_id") for v in raw}
            stats = [s for s in stats if s["id"] in wanted]
        return Response({"data": stats})
