"""listmonk's archive routes of one campaign: PUT /api/campaigns/{id}/archive
and POST /api/campaigns/{id}/preview/archive."""

from __future__ import annotations

from django.http import HttpResponse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import archive
from campaigns.api import api_error, get_campaign
from campaigns.api_content import html_or_text
from campaigns.errors import CampaignError
from campaigns.rendering import TemplateError
from stmails.api.errors import BadRequest
from stmails.api.schema import ANY_OBJECT, BOOL, ID, TEXT, obj
from subscribers.api import body_object

ARCHIVE_BODY = obj(
    archive=BOOL,
    archive_slug={"type": "string", "nullable": True},
    archive_template_id={"type": "integer", "nullable": True},
    archive_meta=ANY_OBJECT,
)


def archive_json(campaign) -> dict:
    return {
        "archive": campaign.archive,
        "archive_slug": campaign.archive_slug,
        "archive_template_id": campaign.archive_template_id,
        "archive_meta": campaign.archive_meta,
    }


class CampaignArchiveView(APIView):
    openapi_body = {"PUT": ARCHIVE_BODY}

    def put(self, request: Request, pk: int) -> Response:
        campaign = get_campaign(pk)
        try:
            campaign = archive.update_archive(campaign, body_object(request))
        except CampaignError as err:
            raise api_error(err) from None
        return Response({"data": archive_json(campaign)})


class CampaignArchivePreviewView(APIView):
    """The campaign as its public archive page would show it, with unsaved
    archive_template_id / archive_meta / body from the request."""

    openapi_body = {
        "POST": obj(body=TEXT, archive_template_id=ID, archive_meta=ANY_OBJECT)
    }
    openapi_success_media_type = "text/html"

    def post(self, request: Request, pk: int) -> HttpResponse:
        campaign = get_campaign(pk)
        try:
            rendered = archive.render_archive_preview(campaign, body_object(request))
        except CampaignError as err:
            raise api_error(err) from None
        except TemplateError as err:
            raise BadRequest(
                getattr(err, "part", "") or "body", f"template error: {err}"
            ) from None
        return html_or_text(rendered)
