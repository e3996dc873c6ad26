"""listmonk's query routes and per-subscriber extras under /api/subscribers:
PUT query/lists, PUT query/blocklist, POST query/delete, PUT lists/{id},
GET {id}/export and GET {id}/activity. Parse, call one service, render."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from stmails.api.errors import BadRequest
from stmails.api.schema import BOOL, ID_LIST, TEXT, obj
from subscribers import activity, bulk, services
from subscribers.api import api_error, body_object, get_subscriber, optional_bool
from subscribers.models import Subscription
from subscribers.services import SubscriberError

SELECTION_BODY = {
    "query": TEXT,
    "search": TEXT,
    "list_ids": ID_LIST,
    "subscription_status": {"type": "string", "enum": Subscription.Status.values},
}
ACTION = {"type": "string", "enum": list(bulk.LIST_ACTIONS)}


def _text(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(field, "must be a string")
    return value


def _ids(body: dict[str, Any], field: str) -> list[Any]:
    value = body.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRequest(field, "must be a list of list ids")
    return value


def selection(body: dict[str, Any]) -> bulk.Selection:
    """listmonk's subQueryReq fields that choose the subscribers."""
    status = _text(body, "subscription_status")
    if status and status not in Subscription.Status.values:
        raise BadRequest(
            "subscription_status",
            f"must be one of {', '.join(Subscription.Status.values)}",
        )
    list_ids = []
    for raw in _ids(body, "list_ids"):
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise BadRequest("list_ids", f"invalid list id {raw!r}")
        list_ids.append(raw)
    return bulk.Selection(
        query=_text(body, "query"),
        search=_text(body, "search"),
        list_ids=tuple(list_ids),
        subscription_status=status,
        everyone=optional_bool(body, "all"),
    )


class QueryDeleteView(APIView):
    openapi_body = {"POST": obj(**SELECTION_BODY, all=BOOL)}

    def post(self, request: Request) -> Response:
        chosen = selection(body_object(request))
        try:
            bulk.delete_by_query(chosen, now=timezone.now())
        except SubscriberError as err:
            raise api_error(err) from None
        return Response({"data": True})


class QueryBlocklistView(APIView):
    openapi_body = {"PUT": obj(**SELECTION_BODY, all=BOOL)}

    def put(self, request: Request) -> Response:
        chosen = selection(body_object(request))
        try:
            bulk.blocklist_by_query(chosen, now=timezone.now())
        except SubscriberError as err:
            raise api_error(err) from None
        return Response({"data": True})


class QueryListsView(APIView):
    openapi_body = {
        "PUT": obj(
            ("action", "target_list_ids"),
            **SELECTION_BODY,
            action=ACTION,
            target_list_ids=ID_LIST,
            status=TEXT,
        )
    }

    def put(self, request: Request) -> Response:
        body = body_object(request)
        chosen = selection(body)
        try:
            bulk.change_lists_by_query(
                chosen,
                action=_text(body, "action"),
                target_list_ids=_ids(body, "target_list_ids"),
                status=_text(body, "status") or None,
                now=timezone.now(),
            )
        except SubscriberError as err:
            raise api_error(err) from None
        return Response({"data": True})


class SubscriberListsView(APIView):
    """PUT /api/subscribers/lists/{id}: PUT /api/subscribers/lists for one
    subscriber, the one in the path (listmonk also wants `ids`; not needed)."""

    openapi_body = {
        "PUT": obj(
            ("action", "target_list_ids"),
            action=ACTION,
            target_list_ids=ID_LIST,
            status=TEXT,
        )
    }

    def put(self, request: Request, pk: int) -> Response:
        subscriber = get_subscriber(pk)
        body = body_object(request)
        target = body.get("target_list_ids")
        if not isinstance(target, list):
            raise BadRequest("target_list_ids", "must be a list of list ids")
        try:
            services.change_memberships(
                subscriber_ids=[subscriber.pk],
                action=_text(body, "action"),
                list_ids=target,
                status=_text(body, "status") or None,
            )
        except SubscriberError as err:
            raise api_error(err) from None
        return Response({"data": True})


class SubscriberExportView(APIView):
    """listmonk's GET /api/subscribers/{id}/export: the JSON file itself (no
    {"data": ...} envelope), offered as data.json."""

    def get(self, request: Request, pk: int) -> Response:
        subscriber = get_subscriber(pk)
        return Response(
            activity.export_subscriber(subscriber),
            headers={
                "Content-Disposition": 'attachment; filename="data.json"',
                "Cache-Control": "no-cache",
            },
        )


class SubscriberActivityView(APIView):
    def get(self, request: Request, pk: int) -> Response:
        subscriber = get_subscriber(pk)
        return Response({"data": activity.subscriber_tracking(subscriber.pk)})
