"""listmonk-compatible /api/subscribers: parse the request, call one service, render.

Shapes follow listmonk v6: one subscriber is {"data": {...}}, a page is
{"data": {"results": [...], "search": "", "query": "", "total": N, "per_page": N,
"page": N}}, writes without a body answer {"data": true}, errors {"message": "..."}.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from stmails.api.errors import BadRequest
from stmails.api.paging import (
    MAX_PER_PAGE,
    page_envelope,
    parse_paging,
    reject_unknown_params,
)
from stmails.api.schema import ANY_OBJECT, BOOL, ID, ID_LIST, PAGING, TEXT, obj
from stmails.lib.dates import rfc3339
from stmails.lib.input_checks import parse_id
from subscribers import services, tallies
from subscribers.models import Subscriber, Subscription
from subscribers.queries import (
    filter_subscribers,
    is_descending,
    order_field,
    order_subscribers,
)
from subscribers.services import SubscriberError

# Parameters that are pagination or ordering, not filters: without any other
# parameter the request is unfiltered and the total is a plain COUNT(*).
NON_FILTER_PARAMS = {"page", "per_page", "order_by", "order"}
# listmonk's parameters and stmails' safe filters (see filter_subscribers).
LISTING_PARAMS = {
    "query",
    "id",
    "uuid",
    "search",
    "email",
    "name",
    "status",
    "list_id",
    "subscription_status",
    "attribs",
    "created_from",
    "created_to",
}
# Body fields that reference lists: an unknown id there is bad input (400), not
# a missing resource (404).
LIST_REFERENCE_FIELDS = {"lists", "target_list_ids", "list_ids"}


class ApiError(exceptions.APIException):
    def __init__(self, message: str, status: int):
        self.status_code = status
        super().__init__(message)


def api_error(err: SubscriberError) -> ApiError:
    status = err.status
    if status == 404 and err.field in LIST_REFERENCE_FIELDS:
        status = 400
    return ApiError(str(err), status)


# --- parsing ----------------------------------------------------------------------


def body_object(request: Request) -> dict[str, Any]:
    data = request.data
    if isinstance(data, QueryDict):
        # Form posts repeat keys for arrays (lists=1&lists=2).
        return {
            key: data.getlist(key)
            if key in ("lists", "ids", "target_list_ids")
            else data[key]
            for key in data
        }
    if not isinstance(data, dict):
        raise BadRequest("", "the request body must be a JSON object")
    return data


def id_list(raw: Any, field: str) -> list[int]:
    if isinstance(raw, int | str) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise BadRequest(field, "must be a non-empty list of ids")
    ids = []
    for value in raw:
        ids.append(parse_id(value, field))
    return ids


def optional_list(body: dict[str, Any], field: str) -> list[Any] | None:
    if field not in body or body[field] is None:
        return None
    if not isinstance(body[field], list):
        raise BadRequest(field, "must be a list of list ids")
    return body[field]


def optional_bool(body: dict[str, Any], field: str) -> bool:
    value = body.get(field, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadRequest(field, "must be true or false")
    return value


# --- rendering --------------------------------------------------------------------


SUBSCRIBER_COLUMNS = (
    "id",
    "uuid",
    "email",
    "name",
    "attribs",
    "status",
    "created_at",
    "updated_at",
)
MEMBERSHIP_COLUMNS = (
    "subscriber_id",
    "status",
    "meta",
    "created_at",
    "updated_at",
    "list_id",
    "list__uuid",
    "list__name",
    "list__type",
    "list__optin",
    "list__tags",
    "list__created_at",
    "list__updated_at",
)


def render_subscribers(ids: list[int]) -> list[dict[str, Any]]:
    """Subscribers with their lists, in the order of `ids`, in two queries.

    Plain rows rather than model instances: building 100 subscribers and their
    memberships as objects costs several times the queries themselves.
    """
    rows = Subscriber.objects.filter(id__in=ids).values(*SUBSCRIBER_COLUMNS)
    by_id = {row["id"]: row for row in rows}
    lists: dict[int, list[dict[str, Any]]] = defaultdict(list)
    memberships = (
        Subscription.objects.filter(subscriber_id__in=ids)
        .order_by("list_id")
        .values_list(*MEMBERSHIP_COLUMNS)
    )
    for sub_id, status, meta, created, updated, *lst in memberships:
        list_id, uuid, name, type_, optin, tags, list_created, list_updated = lst
        lists[sub_id].append(
            {
                "id": list_id,
                "uuid": str(uuid),
                "name": name,
                "type": type_,
                "optin": optin,
                "tags": tags,
                "subscription_status": status,
                "subscription_meta": meta,
                "subscription_created_at": rfc3339(created),
                "subscription_updated_at": rfc3339(updated),
                "created_at": rfc3339(list_created),
                "updated_at": rfc3339(list_updated),
            }
        )
    return [
        {
            **row,
            "uuid": str(row["uuid"]),
            "created_at": rfc3339(row["created_at"]),
            "updated_at": rfc3339(row["updated_at"]),
            "lists": lists[row["id"]],
        }
        for row in (by_id[i] for i in ids if i in by_id)
    ]


def get_subscriber(pk: int) -> Subscriber:
    subscriber = Subscriber.objects.filter(pk=pk).first()
    if subscriber is None:
        raise exceptions.NotFound(f"subscriber {pk} not found")
    return subscriber


def subscriber_response(pk: int) -> Response:
    found = render_subscribers([pk])
    if not found:
        raise exceptions.NotFound(f"subscriber {pk} not found")
    return Response({"data": found[0]})


def subscriber_fields(body: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for create/update_subscriber from a listmonk body."""
    fields: dict[str, Any] = {
        key: body[key] for key in ("email", "name", "status", "attribs") if key in body
    }
    fields["list_ids"] = optional_list(body, "lists")
    fields["preconfirm"] = optional_bool(body, "preconfirm_subscriptions")
    return fields


# --- views ------------------------------------------------------------------------


def filter_names(params: QueryDict) -> set[str]:
    return {key for key in params if any(params.getlist(key))} - NON_FILTER_PARAMS


def count_subscribers(params: QueryDict, qs: QuerySet[Subscriber]) -> int:
    """The exact total, by the cheapest query PostgreSQL can answer it with.

    Unfiltered, the sum of the subscriber tallies (subscribers.tallies), or a
    bare COUNT(*) where there are none. Filtered by lists only, the memberships
    index answers without touching subscribers; a semi-join over the whole
    table would take ten times as long.
    """
    filters = filter_names(params)
    if not filters:
        return tallies.total()
    if filters <= {"list_id", "subscription_status"} and "list_id" in filters:
        list_ids = {parse_id(v, "list_id") for v in params.getlist("list_id") if v}
        members = Subscription.objects.filter(list_id__in=list_ids)
        if params.get("subscription_status"):
            members = members.filter(status=params["subscription_status"])
        if len(list_ids) == 1:
            # One row per subscriber and list: no DISTINCT needed.
            return members.count()
        return members.values("subscriber_id").distinct().count()
    return qs.count()


def page_ids(
    params: QueryDict, qs: QuerySet[Subscriber], page: int, per_page: int | None
) -> tuple[int, list[int]]:
    """(total, the page's ids). Every subscriber by id, a page at a time: both
    from the tallies in one statement (no walk over the skipped rows)."""
    order_by, order = params.get("order_by"), params.get("order") or "desc"
    offset = (page - 1) * per_page if per_page is not None else 0
    by_id = order_field(order_by) == "id" and not filter_names(params)
    if per_page is not None and by_id and tallies.in_use():
        return tallies.page(offset, per_page, descending=is_descending(order))
    total = count_subscribers(params, qs)
    id_query = order_subscribers(qs, order_by, order).values_list("id", flat=True)
    if per_page is not None:
        id_query = id_query[offset : offset + per_page]
    return total, list(id_query)


def page_of_subscribers(params: QueryDict) -> dict[str, Any]:
    """Steps:
    1. Parse paging and the filters (listmonk's `query` through its parser).
    2. Count and select the page's ids only, so deep offsets walk an index, not
       table rows (unfiltered by id: one statement over the tallies).
    3. Load those rows with their memberships (two more queries, no N+1).
    """
    reject_unknown_params(params, LISTING_PARAMS, prefixes=("attrib.",))
    page, per_page = parse_paging(params)
    filters: dict[str, Any] = {key: params.get(key) for key in params}
    for key in ("list_id", "id", "uuid"):
        filters[key] = params.getlist(key)
    try:
        qs = filter_subscribers(filters)
    except SubscriberError as err:
        raise api_error(err) from None
    total, ids = page_ids(params, qs, page, per_page)
    # Chunks keep per_page=all under SQLite's limit on query parameters.
    results = []
    for start in range(0, len(ids), MAX_PER_PAGE):
        results += render_subscribers(ids[start : start + MAX_PER_PAGE])
    return page_envelope(
        results,
        total=total,
        page=page,
        per_page=per_page,
        search=(params.get("search") or "").strip(),
        query=(params.get("query") or "").strip(),
    )


SUBSCRIBER_BODY = obj(
    email=TEXT,
    name=TEXT,
    status={"type": "string", "enum": ["enabled", "disabled", "blocklisted"]},
    attribs=ANY_OBJECT,
    lists=ID_LIST,
    preconfirm_subscriptions=BOOL,
)


class SubscribersView(APIView):
    openapi_body = {"POST": {**SUBSCRIBER_BODY, "required": ["email"]}}
    openapi_query = {
        "GET": {
            **PAGING,
            **{name: TEXT for name in sorted(LISTING_PARAMS - {"list_id", "id"})},
            "list_id": ID,
            "id": ID,
        },
        "DELETE": {"id": ID},
    }

    def get(self, request: Request) -> Response:
        return Response(page_of_subscribers(request.query_params))

    def post(self, request: Request) -> Response:
        body = body_object(request)
        fields = subscriber_fields(body)
        fields["list_ids"] = fields["list_ids"] or []
        if "email" not in fields:
            raise BadRequest("email", "an email address is required")
        try:
            subscriber = services.create_subscriber(**fields)
        except SubscriberError as err:
            raise api_error(err) from None
        return subscriber_response(subscriber.pk)

    def delete(self, request: Request) -> Response:
        ids = id_list(request.query_params.getlist("id"), "id")
        services.delete_subscribers(ids)
        return Response({"data": True})


class SubscriberView(APIView):
    openapi_body = {"PUT": SUBSCRIBER_BODY, "PATCH": SUBSCRIBER_BODY}

    def get(self, request: Request, pk: int) -> Response:
        return subscriber_response(pk)

    def put(self, request: Request, pk: int) -> Response:
        subscriber = get_subscriber(pk)
        body = body_object(request)
        try:
            services.update_subscriber(subscriber, **subscriber_fields(body))
        except SubscriberError as err:
            raise api_error(err) from None
        return subscriber_response(pk)

    def patch(self, request: Request, pk: int) -> Response:
        """Partial update: the fields sent change, the others (lists included)
        stay. PUT behaves the same here; PATCH states it."""
        return self.put(request, pk)

    def delete(self, request: Request, pk: int) -> Response:
        if not services.delete_subscribers([pk]):
            raise exceptions.NotFound(f"subscriber {pk} not found")
        return Response({"data": True})


class SubscriberBlocklistView(APIView):
    def put(self, request: Request, pk: int) -> Response:
        if not services.blocklist_subscribers([pk]):
            raise exceptions.NotFound(f"subscriber {pk} not found")
        return Response({"data": True})


class BlocklistView(APIView):
    openapi_body = {"PUT": obj(("ids",), ids=ID_LIST)}

    def put(self, request: Request) -> Response:
        body = body_object(request)
        services.blocklist_subscribers(id_list(body.get("ids"), "ids"))
        return Response({"data": True})


class MembershipsView(APIView):
    openapi_body = {
        "PUT": obj(
            ("ids", "action", "target_list_ids"),
            ids=ID_LIST,
            action={"type": "string", "enum": ["add", "remove", "unsubscribe"]},
            target_list_ids=ID_LIST,
            status=TEXT,
        )
    }

    def put(self, request: Request) -> Response:
        body = body_object(request)
        ids = id_list(body.get("ids"), "ids")
        target = body.get("target_list_ids")
        if not isinstance(target, list):
            raise BadRequest("target_list_ids", "must be a list of list ids")
        status = body.get("status")
        if status is not None and not isinstance(status, str):
            raise BadRequest("status", "must be a string")
        try:
            services.change_memberships(
                subscriber_ids=ids,
                action=body.get("action") or "",
                list_ids=target,
                status=status,
            )
        except SubscriberError as err:
            raise api_error(err) from None
        return Response({"data": True})
