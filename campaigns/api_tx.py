"""listmonk's POST /api/campaigns/{id}/test and POST /api/tx (JSON, or
multipart with `data` as JSON and `file` attachments), and the stmails extra
GET /api/tx/messages: parse, call one service, render its result."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import test_send, tx, tx_log
from campaigns.api import api_error, get_campaign
from campaigns.services import CampaignError
from campaigns.tx_attachments import check_request_size, read_attachments
from stmails.api.errors import BadRequest
from stmails.api.paging import page_envelope, parse_paging, reject_unknown_params
from stmails.api.schema import ANY_OBJECT, ID, ID_LIST, PAGING, TEXT, TEXT_LIST, obj
from stmails.lib.input_checks import InvalidInput, loads_json
from subscribers.api import body_object


class CampaignTestView(APIView):
    openapi_body = {"POST": obj(("subscribers",), subscribers=TEXT_LIST)}

    def post(self, request: Request, pk: int) -> Response:
        campaign = get_campaign(pk)
        body = body_object(request)
        try:
            emails = test_send.parse_addresses(body.get("subscribers"))
            test_send.send_test(campaign, emails, body)
        except CampaignError as err:
            raise api_error(err) from None
        return Response({"data": True})


def tx_body(request: Request) -> dict[str, Any]:
    """The request: a JSON body, or a form whose `data` field holds the JSON
    (listmonk's multipart form with attachments)."""
    data = request.data
    if not isinstance(data, QueryDict):
        return body_object(request)
    raw = data.get("data")
    if not raw:
        raise BadRequest("data", "the form needs a data field holding the JSON request")
    try:
        body = loads_json(raw, "data")
    except InvalidInput as err:
        raise BadRequest(err.field, err.message) from None
    if not isinstance(body, dict):
        raise BadRequest("data", "must be a JSON object")
    return body


class TxView(APIView):
    openapi_body = {
        "POST": obj(
            ("template_id",),
            subscriber_email=TEXT,
            subscriber_id=ID,
            subscriber_emails=TEXT_LIST,
            subscriber_ids=ID_LIST,
            subscriber_mode={
                "type": "string", "enum": ["default", "fallback", "external"],
            },
            template_id=ID,
            subject=TEXT,
            altbody=TEXT,
            content_type={"type": "string", "enum": ["html", "markdown", "plain"]},
            messenger={"type": "string", "enum": ["email"]},
            data=ANY_OBJECT,
            from_email=TEXT,
            headers={"type": "array", "items": ANY_OBJECT},
        )
    }  # fmt: skip

    def post(self, request: Request) -> Response:
        try:
            # Before request.data: a body too large is refused unread.
            check_request_size(request.META.get("CONTENT_LENGTH"))
            body = tx_body(request)
            files = read_attachments(request.FILES.getlist("file"))
            tx.send_tx(body, files)
        except CampaignError as err:
            raise api_error(err) from None
        return Response({"data": True})


class TxMessagesView(APIView):
    """stmails extra: the Transactional log as JSON, newest first."""

    openapi_query = {"GET": {**PAGING, "status": TEXT, "template_id": ID}}

    def get(self, request: Request) -> Response:
        query = request.query_params
        reject_unknown_params(query, ("status", "template_id"))
        page, per_page = parse_paging(query)
        try:
            found = tx_log.find_messages(
                status=query.get("status") or "",
                template_id=query.get("template_id") or "",
            )
        except InvalidInput as err:
            raise BadRequest(err.field, err.message) from None
        total = found.count()
        if per_page is not None:
            found = found[(page - 1) * per_page : page * per_page]
        rows = list(found)
        names = tx_log.template_names(rows)
        return Response(
            page_envelope(
                [tx_log.message_json(m, names) for m in rows],
                total=total,
                page=page,
                per_page=per_page,
            )
        )
