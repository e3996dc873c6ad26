"""listmonk's /api/maintenance routes: garbage-collect subscribers,
unconfirmed subscriptions and campaign analytics."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.api import api_error
from campaigns.maintenance import parse_before_date
from campaigns.services import CampaignError
from campaigns.tracking import gc
from stmails.api.errors import BadRequest
from stmails.api.paging import reject_unknown_params
from stmails.api.schema import TEXT
from subscribers import maintenance


def before_date(request: Request) -> Any:
    """before_date from the query string, else from a form or JSON body."""
    reject_unknown_params(request.query_params, {"before_date"})
    raw = request.query_params.get("before_date")
    if raw is None and hasattr(request.data, "get"):
        raw = request.data.get("before_date")
    try:
        return parse_before_date(raw)
    except CampaignError as err:
        raise api_error(err) from None


class SubscribersGCView(APIView):
    def delete(self, request: Request, kind: str) -> Response:
        if kind not in maintenance.SUBSCRIBER_KINDS:
            raise BadRequest("type", "must be blocklisted or orphan")
        reject_unknown_params(request.query_params, set())
        count = maintenance.delete_subscribers_gc(kind)
        return Response({"data": {"count": count}})


class SubscriptionsGCView(APIView):
    openapi_query = {"DELETE": {"before_date": TEXT}}

    def delete(self, request: Request) -> Response:
        count = maintenance.delete_unconfirmed_subscriptions(before_date(request))
        return Response({"data": {"count": count}})


class AnalyticsGCView(APIView):
    """listmonk answers true here (no count); so does stmails."""

    openapi_query = {"DELETE": {"before_date": TEXT}}

    def delete(self, request: Request, kind: str) -> Response:
        if kind not in gc.KINDS:
            raise BadRequest("type", "must be all, views or clicks")
        gc.delete_analytics(kind, before_date(request))
        return Response({"data": True})
