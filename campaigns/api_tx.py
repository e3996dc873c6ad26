"""listmonk's POST /api/campaigns/{id}/test and POST /api/tx: parse, call one
service in campaigns.tx, answer {"data": true}."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import tx
from campaigns.api import api_error, get_campaign
from campaigns.services import CampaignError
from stmails.api.schema import ANY_OBJECT, ID, TEXT, TEXT_LIST, obj
from subscribers.api import body_object


class CampaignTestView(APIView):
    openapi_body = {"POST": obj(("subscribers",), subscribers=TEXT_LIST)}

    def post(self, request: Request, pk: int) -> Response:
        campaign = get_campaign(pk)
        body = body_object(request)
        try:
            emails = tx.parse_addresses(body.get("subscribers"))
            tx.send_test(campaign, emails, body)
        except CampaignError as err:
            raise api_error(err) from None
        return Response({"data": True})


class TxView(APIView):
    openapi_body = {
        "POST": obj(
            subscriber_email=TEXT,
            subscriber_id=ID,
            subscriber_emails=TEXT_LIST,
            subject=TEXT,
            body=TEXT,
            altbody=TEXT,
            content_type={"type": "string", "enum": ["html", "markdown", "plain"]},
            data=ANY_OBJECT,
            from_email=TEXT,
            headers={"type": "array", "items": ANY_OBJECT},
        )
    }

    def post(self, request: Request) -> Response:
        try:
            tx.send_tx(body_object(request))
        except CampaignError as err:
            raise api_error(err) from None
        return Response({"data": True})
