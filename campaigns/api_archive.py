"""listmonk's archive routes of one campaign: PUT /api/campaigns/{id}/archive
and POST /api/campaigns/{id}/preview/archive."""

from __future__ import annotations

from django.http import HttpResponse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import archive
from campaigns.api import api_error, get_campaign
from campaigns.api_content import bad_template, html_or_text
from campaigns.errors import CampaignError
from campaigns.rendering import TemplateError
from stmails.api.schema import ANY_OBJECT, BOOL, ID, TEXT, obj
from subscribers.api import body_object

ARCHIVE_BODY = obj(
    archive=BOOL,
    archive_slug={"type": "string", "nullable": True},
    archive_template_id={"type": "integer", "nullable": True},
    archive_meta=ANY_OBJECT,
)


class CampaignArchiveView(APIView):
    openapi_body = {"PUT": ARCHIVE_BODY}

    def put(self, request: Request, pk: int) -> Response:
        campaign = get_campaign(pk)
        try:
            campaign = archive.update_archive(campaign, body_object(request))
        except CampaignError as err:
            raise api_error(err) from None
        # listmonk answers {"data": true}; the fields are a GET away.
        return Response({"data": True})


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
            raise bad_template(err) from None
        return html_or_text(rendered)
