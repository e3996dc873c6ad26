"""listmonk-compatible /api/campaigns: parse the request, call one service, render."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.http import QueryDict
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import archive, services
from campaigns.models import Campaign
from campaigns.services import CampaignError
from campaigns.stats import bounce_counts
from stmails import config
from stmails.api.errors import BadRequest
from stmails.api.paging import page_envelope, parse_paging, reject_unknown_params
from stmails.api.schema import (
    ANY_OBJECT,
    BOOL,
    ID,
    ID_LIST,
    PAGING,
    TEXT,
    TEXT_LIST,
    obj,
)
from stmails.lib.dates import rfc3339
from subscribers.api import body_object, id_list

# listmonk's listing parameters; tag/tag[]/tags[] are spellings clients use
# for the repeatable tags filter.
TAG_PARAMS = ("tags", "tags[]", "tag", "tag[]")
LISTING_PARAMS = {"status", "query", "no_body", *TAG_PARAMS}
ORDER_FIELDS = {"id", "name", "status", "created_at", "updated_at", "send_at"}


class ApiError(exceptions.APIException):
    def __init__(self, message: str, status: int):
        self.status_code = status
        super().__init__(message)


def api_error(err: CampaignError) -> ApiError:
    return ApiError(str(err), err.status)


def campaign_json(
    c: Campaign, bounces: dict[str, int], *, no_body: bool = False
) -> dict[str, Any]:
    """listmonk's campaign object, key for key; bounce_counts (the breakdown
    by type) is stmails' addition."""
    return {
        "id": c.id,
        "created_at": rfc3339(c.created_at),
        "updated_at": rfc3339(c.updated_at),
        # People only (bots excluded), counted by the tracking fold.
        "views": c.views,
        "clicks": c.clicks,
        "bounces": sum(bounces.values()),
        "lists": [
            {"id": cl.list_id, "name": cl.list_name} for cl in c.campaign_lists.all()
        ],
        "started_at": rfc3339(c.started_at),
        "to_send": c.to_send,
        "sent": c.sent,
        "uuid": str(c.uuid),
        "type": c.type,
        "name": c.name,
        "subject": c.subject,
        "from_email": c.from_email,
        # no_body (listmonk): the listing without the (possibly large) bodies.
        "body": "" if no_body else c.body,
        "body_source": None if no_body else c.body_source,
        "altbody": "" if no_body else c.altbody,
        "send_at": rfc3339(c.send_at),
        "status": c.status,
        "content_type": c.content_type,
        "tags": c.tags,
        "headers": c.headers,
        "template_id": c.template_id,
        "messenger": c.messenger,
        "media": [],  # stmails has no media library
        "attribs": c.attribs,
        "archive": c.archive,
        "archive_slug": c.archive_slug,
        "archive_template_id": c.archive_template_id,
        "archive_meta": c.archive_meta,
        "bounce_counts": bounces,
    }


def get_campaign(pk: int) -> Campaign:
    campaign = Campaign.objects.prefetch_related("campaign_lists").filter(pk=pk).first()
    if campaign is None:
        raise exceptions.NotFound(f"campaign {pk} not found")
    return campaign


def campaign_data(pk: int, *, no_body: bool = False) -> dict[str, Any]:
    campaign = get_campaign(pk)
    return campaign_json(campaign, bounce_counts([pk])[pk], no_body=no_body)


def campaign_response(pk: int, *, no_body: bool = False) -> Response:
    return Response({"data": campaign_data(pk, no_body=no_body)})


def flag(params: QueryDict, name: str) -> bool:
    raw = (params.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "f", "no"):
        return False
    if raw in ("1", "true", "t", "yes"):
        return True
    raise BadRequest(name, "must be true or false")


def wanted_tags(params: QueryDict) -> list[str]:
    tags = [t.strip() for name in TAG_PARAMS for t in params.getlist(name)]
    return list(dict.fromkeys(t for t in tags if t))


def with_tags(qs, tags: list[str]):
    """Campaigns carrying every one of the tags (listmonk: tags <@ campaign.tags)."""
    if not tags:
        return qs
    if connection.features.supports_json_field_contains:
        return qs.filter(tags__contains=tags)
    # SQLite (tests, small installs): the tags are compared in Python.
    wanted = set(tags)
    ids = [
        pk
        for pk, have in qs.values_list("id", "tags")
        if isinstance(have, list) and wanted <= set(have)
    ]
    return qs.filter(id__in=ids)


def page_of_campaigns(params: QueryDict) -> dict[str, Any]:
    reject_unknown_params(params, LISTING_PARAMS)
    qs = Campaign.objects.all()
    statuses = [s for s in params.getlist("status") if s]
    bad = [s for s in statuses if s not in Campaign.Status.values]
    if bad:
        raise BadRequest("status", f"unknown status {bad[0]!r}")
    if statuses:
        qs = qs.filter(status__in=statuses)
    query = (params.get("query") or "").strip()
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(subject__icontains=query))
    qs = with_tags(qs, wanted_tags(params))
    no_body = flag(params, "no_body")
    order_by = params.get("order_by") or "created_at"
    if order_by not in ORDER_FIELDS:
        order_by = "created_at"
    prefix = "" if (params.get("order") or "").lower() == "asc" else "-"
    qs = qs.order_by(f"{prefix}{order_by}", f"{prefix}id")
    page, per_page = parse_paging(params)
    total = qs.count()
    if per_page is not None:
        qs = qs[(page - 1) * per_page : page * per_page]
    campaigns = list(qs.prefetch_related("campaign_lists"))
    counts = bounce_counts(c.id for c in campaigns)
    results = [campaign_json(c, counts[c.id], no_body=no_body) for c in campaigns]
    return page_envelope(
        results, total=total, page=page, per_page=per_page, query=query
    )


CAMPAIGN_BODY = obj(
    name=TEXT,
    subject=TEXT,
    lists=ID_LIST,
    from_email=TEXT,
    type=TEXT,
    content_type=TEXT,
    body=TEXT,
    altbody=TEXT,
    send_at=TEXT,
    tags=TEXT_LIST,
    headers={"type": "array", "items": ANY_OBJECT},
    template_id={"type": "integer", "nullable": True},
    archive=BOOL,
    archive_slug={"type": "string", "nullable": True},
    archive_template_id={"type": "integer", "nullable": True},
    archive_meta=ANY_OBJECT,
    messenger={"type": "string", "enum": ["email"]},
    body_source={"type": "string", "nullable": True},
    attribs=ANY_OBJECT,
    media={"type": "array", "items": {"type": "integer"}, "maxItems": 0},
)


def creation_fields(request: Request) -> dict[str, Any]:
    """POST /api/campaigns' fields. A null template_id means "not given", as in
    listmonk (whose JSON decoding makes it 0: the default template): the PyPI
    client posts null for every field it was not given, and requires an
    integer template_id back. (PUT keeps null as "no template".)"""
    data = body_object(request)
    if "template_id" in data and data["template_id"] is None:
        data = {k: v for k, v in data.items() if k != "template_id"}
    return data


class CampaignsView(APIView):
    openapi_body = {"POST": CAMPAIGN_BODY}
    openapi_query = {
        "GET": {**PAGING, "status": TEXT, "query": TEXT, "no_body": BOOL, "tags": TEXT},
        "DELETE": {"id": ID, "query": TEXT},
    }

    def get(self, request: Request) -> Response:
        return Response(page_of_campaigns(request.query_params))

    def post(self, request: Request) -> Response:
        # The answer is built inside the transaction: a campaign that cannot be
        # answered is not kept (a retrying client would make a second one).
        with transaction.atomic():
            try:
                campaign = services.create_campaign(creation_fields(request))
            except CampaignError as err:
                raise api_error(err) from None
            data = campaign_data(campaign.pk)
        return Response({"data": data})

    def delete(self, request: Request) -> Response:
        """listmonk's bulk delete: ?id=1&id=2, or ?query=<name>."""
        params = request.query_params
        reject_unknown_params(params, {"id", "query"})
        if params.getlist("id"):
            ids = id_list(params.getlist("id"), "id")
        else:
            name = (params.get("query") or "").strip()
            if not name:
                raise BadRequest("id", "give id or query")
            ids = list(
                Campaign.objects.filter(name__icontains=name).values_list(
                    "id", flat=True
                )
            )
        try:
            services.delete_campaigns(ids)
        except CampaignError as err:
            raise api_error(err) from None
        return Response({"data": True})


class CampaignView(APIView):
    openapi_body = {"PUT": CAMPAIGN_BODY}

    def get(self, request: Request, pk: int) -> Response:
        reject_unknown_params(request.query_params, {"no_body"})
        return campaign_response(pk, no_body=flag(request.query_params, "no_body"))

    def put(self, request: Request, pk: int) -> Response:
        campaign = get_campaign(pk)
        try:
            services.update_campaign(campaign, body_object(request))
        except CampaignError as err:
            raise api_error(err) from None
        return campaign_response(pk)

    def delete(self, request: Request, pk: int) -> Response:
        campaign = get_campaign(pk)
        try:
            services.delete_campaign(campaign)
        except CampaignError as err:
            raise api_error(err) from None
        return Response({"data": True})


class CampaignStatusView(APIView):
    openapi_body = {"PUT": obj(("status",), status=TEXT)}

    def put(self, request: Request, pk: int) -> Response:
        campaign = get_campaign(pk)
        body = body_object(request)
        try:
            services.change_status(campaign, body.get("status"))
        except CampaignError as err:
            raise api_error(err) from None
        return campaign_response(pk)


class PublicArchiveView(APIView):
    """listmonk's GET /api/public/archive: the archive's campaigns, paged."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    openapi_query = {"GET": PAGING}

    def get(self, request: Request) -> Response:
        if not config.get_value("app.enable_public_archive"):
            raise exceptions.NotFound("the archive is not enabled")
        reject_unknown_params(request.query_params, set())
        page, per_page = parse_paging(request.query_params)
        per_page = per_page or 1000
        qs = archive.archived_campaigns()
        root = config.get_value("app.root_url")
        results = [
            {
                "uuid": str(c.uuid),
                "subject": c.subject,
                "content": "",
                "created_at": rfc3339(c.created_at),
                "send_at": rfc3339(c.started_at or c.send_at),
                "url": archive.archive_url(c, root),
            }
            for c in qs[(page - 1) * per_page : page * per_page]
        ]
        return Response(
            page_envelope(results, total=qs.count(), page=page, per_page=per_page)
        )
