"""listmonk-compatible /api/lists."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count
from django.http import QueryDict
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from stmails.api.errors import BadRequest
from stmails.api.paging import page_envelope, parse_paging, reject_unknown_params
from stmails.api.schema import BOOL, ID, PAGING, TEXT, TEXT_LIST, obj
from stmails.lib.dates import rfc3339
from subscribers import services
from subscribers.api import api_error, body_object, id_list
from subscribers.models import MailingList, Subscription
from subscribers.services import SubscriberError

# listmonk's listing parameters; status (active, archived) may repeat.
LISTING_PARAMS = {"query", "status", "tag", "tag[]", "minimal"}
ORDER_FIELDS = {"id", "name", "type", "optin", "status", "created_at", "updated_at"}
Counts = dict[int, dict[str, int]]


def count_members(list_ids: Iterable[int]) -> Counts:
    """Members per list and status, in one aggregate query."""
    counts: Counts = {
        pk: dict.fromkeys(Subscription.Status.values, 0) for pk in list_ids
    }
    rows = (
        Subscription.objects.filter(list_id__in=list(counts))
        .values("list_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["list_id"]][row["status"]] = row["n"]
    return counts


def list_json(lst: MailingList, statuses: dict[str, int] | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": lst.id,
        "uuid": str(lst.uuid),
        "name": lst.name,
        "type": lst.type,
        "optin": lst.optin,
        "status": lst.status,
        "tags": lst.tags,
        "description": lst.description,
        "created_at": rfc3339(lst.created_at),
        "updated_at": rfc3339(lst.updated_at),
    }
    if statuses is not None:
        out["subscriber_count"] = sum(statuses.values())
        out["subscriber_statuses"] = statuses
    return out


def get_list(pk: int) -> MailingList:
    lst = MailingList.objects.visible().filter(pk=pk).first()
    if lst is None:
        raise exceptions.NotFound(f"list {pk} not found")
    return lst


def list_response(lst: MailingList) -> Response:
    return Response({"data": list_json(lst, count_members([lst.pk])[lst.pk])})


def page_of_lists(params: QueryDict) -> dict[str, Any]:
    """Lists are few (tens, hundreds), so tag filtering and paging happen in Python;
    that keeps the JSON tag match identical on SQLite and PostgreSQL."""
    reject_unknown_params(params, LISTING_PARAMS)
    qs = MailingList.objects.visible()
    name = (params.get("query") or "").strip()
    if name:
        qs = qs.filter(name__icontains=name)
    statuses = [v for v in params.getlist("status") if v]
    for status in statuses:
        if status not in MailingList.Status.values:
            raise BadRequest("status", "must be active or archived")
    if statuses:
        qs = qs.filter(status__in=statuses)
    order_by = params.get("order_by") or "id"
    descending = (params.get("order") or "").lower() == "desc"
    if order_by in ORDER_FIELDS:
        prefix = "-" if descending else ""
        qs = qs.order_by(f"{prefix}{order_by}", f"{prefix}id")
    lists = list(qs)
    tags = [t for t in params.getlist("tag") + params.getlist("tag[]") if t]
    if tags:
        lists = [lst for lst in lists if all(t in (lst.tags or []) for t in tags)]
    total = len(lists)
    if params.get("minimal") in ("true", "1"):
        results = [list_json(lst, None) for lst in lists]
        return page_envelope(results, total=total, page=1, per_page=None)
    page, per_page = parse_paging(params)
    counts: Counts | None = None
    if order_by == "subscriber_count":
        counts = count_members(lst.pk for lst in lists)
        lists.sort(
            key=lambda lst: (sum(counts[lst.pk].values()), lst.pk), reverse=descending
        )
    if per_page is not None:
        lists = lists[(page - 1) * per_page : page * per_page]
    if counts is None:
        counts = count_members(lst.pk for lst in lists)
    results = [list_json(lst, counts[lst.pk]) for lst in lists]
    return page_envelope(results, total=total, page=page, per_page=per_page)


LIST_BODY = obj(
    name=TEXT,
    type={"type": "string", "enum": ["public", "private"]},
    optin={"type": "string", "enum": ["single", "double"]},
    status={"type": "string", "enum": ["active", "archived"]},
    tags=TEXT_LIST,
    description=TEXT,
)


class ListsView(APIView):
    openapi_body = {"POST": {**LIST_BODY, "required": ["name"]}}
    openapi_query = {
        "GET": {**PAGING, "query": TEXT, "status": TEXT, "tag": TEXT, "minimal": BOOL},
        "DELETE": {"id": ID, "query": TEXT, "all": BOOL},
    }

    def get(self, request: Request) -> Response:
        return Response(page_of_lists(request.query_params))

    def post(self, request: Request) -> Response:
        try:
            lst = services.create_list(body_object(request))
        except SubscriberError as err:
            raise api_error(err) from None
        return list_response(lst)

    def delete(self, request: Request) -> Response:
        """listmonk's bulk delete: ?id=1&id=2, or ?query=<name>, or ?all=true."""
        params = request.query_params
        reject_unknown_params(params, {"id", "query", "all"})
        if params.getlist("id"):
            ids = id_list(params.getlist("id"), "id")
        else:
            name = (params.get("query") or "").strip()
            everything = params.get("all") == "true"
            if not name and not everything:
                raise BadRequest("id", "give id, query or all=true")
            lists = MailingList.objects.visible()
            if name:
                lists = lists.filter(name__icontains=name)
            ids = list(lists.values_list("id", flat=True))
        visible = MailingList.objects.visible().filter(id__in=ids)
        services.delete_lists(list(visible.values_list("id", flat=True)))
        return Response({"data": True})


class ListView(APIView):
    openapi_body = {"PUT": LIST_BODY}

    def get(self, request: Request, pk: int) -> Response:
        return list_response(get_list(pk))

    def put(self, request: Request, pk: int) -> Response:
        lst = get_list(pk)
        try:
            lst = services.update_list(lst, body_object(request))
        except SubscriberError as err:
            raise api_error(err) from None
        return list_response(lst)

    def delete(self, request: Request, pk: int) -> Response:
        if not services.delete_lists([pk]):
            raise exceptions.NotFound(f"list {pk} not found")
        return Response({"data": True})
