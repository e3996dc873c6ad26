"""Subscriber filters shared by the UI and the API: stmails' named filters and
listmonk's `query`, parsed (subscribers.query_language), never run as SQL."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Lower
from django.utils import timezone

from stmails.lib.dates import BadBound, filter_range
from stmails.lib.input_checks import InvalidInput, loads_json, parse_id
from subscribers.models import MailingList, Subscriber, Subscription
from subscribers.query_ast import QueryError
from subscribers.query_filters import query_to_q
from subscribers.query_language import parse_query
from subscribers.services import SubscriberError

ORDER_FIELDS = {"id", "email", "name", "status", "created_at", "updated_at"}


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def attrib_value_contains(text: str) -> RawSQL:
    """True where some value in attribs (at any depth: strings, numbers,
    booleans; not the keys) contains `text`, case-insensitively. The text is a
    bound parameter, escaped for LIKE: `%`, `_` and `\\` match themselves."""
    if connection.vendor == "postgresql":
        sql = (
            "EXISTS (SELECT 1 FROM jsonb_path_query("
            "subscribers.attribs, 'lax $.**') AS v(value) "
            "WHERE jsonb_typeof(v.value) IN ('string', 'number', 'boolean') "
            "AND (v.value #>> '{}') ILIKE %s)"
        )
    else:
        sql = (
            "EXISTS (SELECT 1 FROM json_tree(subscribers.attribs) AS t "
            "WHERE t.type IN ('text', 'integer', 'real', 'true', 'false') "
            "AND lower(CAST(CASE t.type WHEN 'true' THEN 'true' "
            "WHEN 'false' THEN 'false' ELSE t.atom END AS TEXT)) "
            "LIKE lower(%s) ESCAPE '\\')"
        )
    # The SQL is constant; the only input is the bound parameter.
    return RawSQL(sql, [_like_pattern(text)], output_field=BooleanField())  # noqa: S611


def query_filter(text: Any, *, now: datetime | None = None) -> Q:
    """listmonk's `query` as a Q (empty: everything), or SubscriberError("query")."""
    if not isinstance(text, str):
        raise SubscriberError("query", "must be a string")
    try:
        node = parse_query(text)
        return Q() if node is None else query_to_q(node, now=now or timezone.now())
    except QueryError as err:
        raise SubscriberError("query", str(err)) from None


def _ids(raw: Any, field: str) -> list[int]:
    values = raw if isinstance(raw, list | tuple) else [raw]
    try:
        return [parse_id(v, field) for v in values if v not in ("", None)]
    except InvalidInput:
        raise SubscriberError(field, "must be a subscriber id") from None


def _uuids(raw: Any) -> list[uuid.UUID]:
    values = raw if isinstance(raw, list | tuple) else [raw]
    try:
        return [uuid.UUID(str(v).strip()) for v in values if v not in ("", None)]
    except ValueError:
        raise SubscriberError("uuid", "must be a UUID") from None


def filter_subscribers(
    params: dict[str, Any], *, now: datetime | None = None
) -> QuerySet[Subscriber]:
    """Filters (all optional, combined with AND):

    query: listmonk's SQL expression, in the subset docs/api.md lists; id
    (one or several) and uuid (one or several): exact subscribers; search: substring of email or name (and of any attribute value with
    search_attribs, which the admin page sets; the API keeps listmonk's meaning); email: exact address (case-insensitive);
    name: substring; status; list_id (one or several); subscription_status
    (with list_id); attribs: a JSON object whose keys must equal;
    attrib.<key>=<value> pairs; created_from / created_to: dates.
    """
    qs = Subscriber.objects.all()
    if params.get("query"):
        qs = qs.filter(query_filter(params["query"], now=now))
    if params.get("id"):
        qs = qs.filter(id__in=_ids(params["id"], "id"))
    if params.get("uuid"):
        qs = qs.filter(uuid__in=_uuids(params["uuid"]))
    search = (params.get("search") or "").strip()
    if search:
        match = Q(email__icontains=search) | Q(name__icontains=search)
        if params.get("search_attribs"):
            match |= Q(attrib_value_contains(search))
        qs = qs.filter(match)
    email = (params.get("email") or "").strip()
    if email:
        qs = qs.annotate(lemail=Lower("email")).filter(lemail=email.lower())
    name = (params.get("name") or "").strip()
    if name:
        qs = qs.filter(name__icontains=name)
    status = params.get("status")
    if status:
        if status not in Subscriber.Status.values:
            raise SubscriberError(
                "status", f"must be one of {', '.join(Subscriber.Status.values)}"
            )
        qs = qs.filter(status=status)
    list_ids = params.get("list_id") or []
    if isinstance(list_ids, str | int):
        list_ids = [list_ids]
    list_ids = [v for v in list_ids if v not in ("", None)]
    sub_status = params.get("subscription_status")
    if sub_status and sub_status not in Subscription.Status.values:
        raise SubscriberError(
            "subscription_status",
            f"must be one of {', '.join(Subscription.Status.values)}",
        )
    if list_ids:
        try:
            ids = [parse_id(v, "list_id") for v in list_ids]
        except InvalidInput:
            raise SubscriberError("list_id", "must be a list id") from None
        if MailingList.objects.filter(id__in=ids).count() != len(set(ids)):
            raise SubscriberError("list_id", "unknown list")
        members = Subscription.objects.filter(list_id__in=ids)
        if sub_status:
            members = members.filter(status=sub_status)
        qs = qs.filter(id__in=members.values("subscriber_id"))
    attribs = params.get("attribs")
    pairs: dict[str, Any] = {}
    if attribs:
        if isinstance(attribs, str):
            try:
                attribs = loads_json(attribs, "attribs")
            except InvalidInput:
                raise SubscriberError("attribs", "must be a JSON object") from None
        if not isinstance(attribs, dict):
            raise SubscriberError("attribs", "must be a JSON object")
        pairs.update(attribs)
    for key, value in params.items():
        if key.startswith("attrib.") and len(key) > 7:
            pairs[key[7:]] = value
    for i, (key, value) in enumerate(pairs.items()):
        # An explicit KeyTransform: a key spliced into a lookup string ("a__gt")
        # would be read as a lookup or a nested path instead of a key.
        alias = f"_attrib{i}"
        qs = qs.alias(**{alias: KeyTransform(str(key), "attribs")})
        match = Q(**{alias: value})
        if isinstance(value, str) and key not in (attribs or {}):
            # attrib.<key>=42 in a query string also matches the number 42 (or true/null).
            try:
                decoded = loads_json(value)
            except InvalidInput:
                decoded = value
            if not isinstance(decoded, str):
                match |= Q(**{alias: decoded})
        qs = qs.filter(match)
    try:
        qs = filter_range(
            qs,
            "created_at",
            ("created_from", params.get("created_from")),
            ("created_to", params.get("created_to")),
        )
    except BadBound as e:
        raise SubscriberError(e.field, e.message) from None
    return qs


def find_subscriber_by_email(email: str) -> Subscriber | None:
    """The subscriber with this address, case-insensitively (the lower(email)
    unique index), or None."""
    return (
        Subscriber.objects.annotate(lemail=Lower("email"))
        .filter(lemail=email.strip().lower())
        .first()
    )


def order_field(order_by: str | None) -> str:
    return order_by if order_by in ORDER_FIELDS else "id"


def is_descending(order: str | None) -> bool:
    return (order or "").lower() == "desc"


def order_subscribers(
    qs: QuerySet, order_by: str | None, order: str | None
) -> QuerySet:
    field = order_field(order_by)
    direction = "-" if is_descending(order) else ""
    if field == "id":
        return qs.order_by(f"{direction}id")
    return qs.order_by(f"{direction}{field}", f"{direction}id")
