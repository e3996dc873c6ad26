"""listmonk-compatible /api/campaigns: parse the request, call one service, render."""

from __future__ import annotations

from typing import Any

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
from stmails.api.schema import ANY_OBJECT, BOOL, ID_LIST, PAGING, TEXT, TEXT_LIST, obj
from stmails.lib.dates import rfc3339
from subscribers.api import body_object

# listmonk's listing parameters; no_body is accepted (bodies are always sent).
LISTING_PARAMS = {"status", "query", "no_body"}
ORDER_FIELDS = {"id", "name", "status", "created_at", "updated_at", "send_at"}


class ApiError(exceptions.APIException):
    def __init__(self, message: str, status: int):
        self.status_code = status
        super().__init__(message)


def api_error(err: CampaignError) -> ApiError:
    return ApiError(str(err), err.status)


def campaign_json(c: Campaign, bounces: dict[str, int]) -> dict[str, Any]:
    return {
        "id": c.id,
        "uuid": str(c.uuid),
        "name": c.name,
        "subject": c.subject,
        "from_email": c.from_email,
        "status": c.status,
        "type": c.type,
        "content_type": c.content_type,
        "body": c.body,
        "altbody": c.altbody,
        "lists": [
            {"id": cl.list_id, "name": cl.list_name} for cl in c.campaign_lists.all()
        ],
        "tags": c.tags,
        "headers": c.headers,
        "template_id": c.template_id,
        "archive": c.archive,
        "archive_slug": c.archive_slug,
        "archive_template_id": c.archive_template_id,
        "archive_meta": c.archive_meta,
        "send_at": rfc3339(c.send_at),
        "created_at": rfc3339(c.created_at),
        "updated_at": rfc3339(c.updated_at),
        "started_at": rfc3339(c.started_at),
        "to_send": c.to_send,
        "sent": c.sent,
        # People only (bots excluded), counted by the tracking fold.
        "views": c.views,
        "clicks": c.clicks,
        "bounces": bounces,
    }


def get_campaign(pk: int) -> Campaign:
    campaign = Campaign.objects.prefetch_related("campaign_lists").filter(pk=pk).first()
    if campaign is None:
        raise exceptions.NotFound(f"campaign {pk} not found")
    return campaign


def campaign_response(pk: int) -> Response:
    campaign = get_campaign(pk)
    return Response({"data": campaign_json(campaign, bounce_counts([pk])[pk])})


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
    results = [campaign_json(c, counts[c.id]) for c in campaigns]
    return page_envelope(results, total=total, page=page, per_page=per_page)


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
)


class CampaignsView(APIView):
    openapi_body = {"POST": CAMPAIGN_BODY}
    openapi_query = {"GET": {**PAGING, "status": TEXT, "query": TEXT, "no_body": BOOL}}

    def get(self, request: Request) -> Response:
        return Response(page_of_campaigns(request.query_params))

    def post(self, request: Request) -> Response:
        try:
            campaign = services.create_campaign(body_object(request))
        except CampaignError as err:
            raise api_error(err) from None
        return campaign_response(campaign.pk)


class CampaignView(APIView):
    openapi_body = {"PUT": CAMPAIGN_BODY}

    def get(self, request: Request, pk: int) -> Response:
        return campaign_response(pk)

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
