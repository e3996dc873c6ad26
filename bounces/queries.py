"""Filtering and ordering of bounces, shared by GET /api/bounces, its CSV export and the UI page."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Lower

from bounces.models import Bounce, BounceType
from bounces.parsing.reasons import REASONS
from bounces.services import BounceError
from stmails.lib.dates import BadBound, filter_range
from stmails.lib.input_checks import InvalidInput, parse_id
from subscribers.models import Subscriber

# listmonk's order_by values -> columns; anything else falls back to created_at, as listmonk.
# The filters filter_bounces reads, for GET /api/bounces to refuse any other.
FILTER_PARAMS = {
    "campaign_id",
    "campaign_uuid",
    "subscriber_id",
    "source",
    "type",
    "reason",
    "email",
    "email_contains",
    "from",
    "to",
}
ORDER_FIELDS = {
    "created_at": "created_at",
    "email": "subscriber__email",
    "campaign_name": "campaign__name",
    "source": "source",
    "type": "type",
    "reason": "reason",
}


def _values(params: Any, name: str) -> list[str]:
    """All non-empty values of a parameter: QueryDict lists, plain lists or one value."""
    if hasattr(params, "getlist"):
        raw = params.getlist(name)
    else:
        raw = params.get(name)
        if raw is None:
            raw = []
        elif not isinstance(raw, list | tuple):
            raw = [raw]
    return [str(v).strip() for v in raw if v is not None and str(v).strip() != ""]


def _one(params: Any, name: str) -> str:
    values = _values(params, name)
    return values[-1] if values else ""


def _ints(params: Any, name: str) -> list[int]:
    try:
        return [parse_id(v, name) for v in _values(params, name)]
    except InvalidInput:
        raise BounceError(name, "must be a number") from None


def filter_bounces(params: Any) -> QuerySet[Bounce]:
    """Bounces matching the filters (all optional, combined with AND; repeatable ones OR'd):

    campaign_id, campaign_uuid, subscriber_id (repeatable), source (exact), type
    (hard|soft|complaint, repeatable), reason (bounces.parsing.reasons, repeatable;
    "" matches bounces recorded before reasons existed), email (the subscriber's, case-insensitive),
    email_contains (part of it, case-insensitive),
    from / to (dates, inclusive, or RFC 3339 times). Raises BounceError naming the
    parameter at fault.
    """
    qs = Bounce.objects.all()
    campaign_ids = _ints(params, "campaign_id")
    if campaign_ids:
        qs = qs.filter(campaign_id__in=campaign_ids)
    campaign_uuids = _values(params, "campaign_uuid")
    if campaign_uuids:
        try:
            keys = [uuidlib.UUID(v) for v in campaign_uuids]
        except ValueError:
            raise BounceError("campaign_uuid", "is not a valid UUID") from None
        qs = qs.filter(campaign__uuid__in=keys)
    subscriber_ids = _ints(params, "subscriber_id")
    if subscriber_ids:
        qs = qs.filter(subscriber_id__in=subscriber_ids)
    sources = _values(params, "source")
    if sources:
        qs = qs.filter(source__in=sources)
    types = _values(params, "type")
    if types:
        bad = [t for t in types if t not in BounceType.values]
        if bad:
            raise BounceError("type", "must be hard, soft or complaint")
        qs = qs.filter(type__in=types)
    reasons = _values(params, "reason")
    if reasons:
        bad = [r for r in reasons if r not in REASONS]
        if bad:
            raise BounceError(
                "reason",
                f"unknown reason {bad[0][:40]!r}: see the docs' list (docs/bounces)",
            )
        qs = qs.filter(reason__in=reasons)
    email = _one(params, "email")
    if email:
        # Through the subscribers' lower(email) unique index, then bounces' subscriber index.
        matching = Subscriber.objects.annotate(lemail=Lower("email")).filter(
            lemail=email.lower()
        )
        qs = qs.filter(subscriber_id__in=matching.values("id"))
    email_part = _one(params, "email_contains")
    if email_part:
        # icontains escapes % and _: they match themselves.
        qs = qs.filter(subscriber__email__icontains=email_part)
    try:
        return filter_range(
            qs, "created_at", ("from", _one(params, "from")), ("to", _one(params, "to"))
        )
    except BadBound as e:
        raise BounceError(e.field, e.message) from None


def order_bounces(qs: QuerySet, order_by: str | None, order: str | None) -> QuerySet:
    """listmonk's order_by (else created_at) and order (asc|desc, default desc); id breaks ties."""
    column = ORDER_FIELDS.get(order_by or "", "created_at")
    direction = "" if (order or "").lower() == "asc" else "-"
    return qs.order_by(f"{direction}{column}", f"{direction}id")
