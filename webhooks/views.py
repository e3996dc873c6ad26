"""POST /webhooks/bounce: the generic bounce webhook for scripts, as documented by listmonk.

Unlike listmonk, the answer 200 {"data": true} comes only once the request is
stored (webhooks.intake: the worker records the bounce from it, exactly once),
a subscriber nobody has answers 404, and the route always exists: when bounce
processing or bounce webhooks are off it answers 503 with a clear message.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bounces.services import BounceError, bounce_settings
from stmails.api.schema import ANY_OBJECT, TEXT, obj
from stmails.auth import api_user_from_header
from stmails.lib.input_checks import loads_json
from webhooks.bounce_body import parse_bounce_body
from webhooks.intake import refuse_when_off, store_bounce


class ServiceUnavailable(exceptions.APIException):
    status_code = 503


class BounceRefused(exceptions.APIException):
    def __init__(self, err: BounceError):
        self.status_code = err.status
        super().__init__(str(err))


class BounceWebhookView(APIView):
    openapi_body = {
        "POST": obj(
            ("source", "type"),
            email=TEXT,
            subscriber_uuid=TEXT,
            campaign_uuid=TEXT,
            source=TEXT,
            type={"type": "string", "enum": ["hard", "soft", "complaint"]},
            meta={"oneOf": [ANY_OBJECT, TEXT]},
            event_id=TEXT,
            created_at=TEXT,
        )
    }

    """Auth: the API default (an API user by basic auth or `Authorization: token`)."""

    def post(self, request: Request) -> Response:
        try:
            data = request.data
            if isinstance(data, QueryDict):
                data = data.dict()
            bounce = parse_bounce_body(data, request.headers.get("Idempotency-Key", ""))
            # The switches are read by store_bounce's INSERT (PostgreSQL); a
            # switched-off endpoint still answers 503 before judging the body.
        except Exception:
            self._refuse_when_off()
            raise
        try:
            store_bounce(bounce, data)
        except BounceError as e:
            if e.status == 503:
                raise ServiceUnavailable(e.message) from None
            raise BounceRefused(e) from None
        return Response({"data": True})

    def _refuse_when_off(self) -> None:
        try:
            refuse_when_off(bounce_settings())
        except BounceError as e:
            raise ServiceUnavailable(e.message) from None


_full_view = BounceWebhookView.as_view()
# JsonResponse({"data": True})'s bytes, built once (issue 19: the common answer).
_STORED = b'{"data": true}'


@csrf_exempt
@login_not_required
def bounce_webhook_lean(request: HttpRequest) -> HttpResponse:
    """POST /webhooks/bounce on the lean stack (stmails.wsgi, webhooks.lean_urls):
    the common case without DRF's request wrapping, negotiation and rendering
    (issue 19). A JSON body from an API user's right token is parsed with the
    same checks, validated and stored here; anything else (another content
    type or method, other credentials, a body it refuses) goes to
    BounceWebhookView, which gives the documented answers. Nothing before the
    store writes, so handing over never does a thing twice.
    """
    if request.method != "POST" or request.content_type != "application/json":
        return _full_view(request)
    if api_user_from_header(request) is None:
        return _full_view(request)
    try:
        body = request.body.decode("utf-8")
        data = loads_json(body, finite=True)
        bounce = parse_bounce_body(data, request.META.get("HTTP_IDEMPOTENCY_KEY", ""))
    except Exception:  # noqa: BLE001 (the DRF view answers it, naming the field)
        return _full_view(request)
    try:
        # The body as received: validated above, nothing to serialise again.
        store_bounce(bounce, data, body)
    except BounceError as e:
        message = e.message if e.status == 503 else str(e)
        return JsonResponse({"message": message}, status=e.status)
    return HttpResponse(_STORED, content_type="application/json")
