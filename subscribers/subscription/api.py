"""listmonk's public API (no authentication) and the admin's opt-in resend.

POST /api/public/subscription  JSON {email, name, list_uuids} or a form with
                               repeated l=; answers {"data": true}
GET  /api/public/lists         [{"uuid", "name"}] of the public lists
POST /api/subscribers/{id}/optin  (authenticated) queue a new confirmation
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from stmails.api.errors import BadRequest
from stmails.api.schema import TEXT, TEXT_LIST, obj
from stmails.auth import client_address
from subscribers import ratelimit
from subscribers.models import Subscriber
from subscribers.services import SubscriberError
from subscribers.subscription import confirmation, optin
from subscribers.subscription.views import HONEYPOT, page_enabled


class TooManyAttempts(exceptions.APIException):
    status_code = 429
    default_detail = "too many subscription attempts; try again later"


class Disabled(exceptions.NotFound):
    default_detail = "the public subscription page is disabled"


class PublicView(APIView):
    # No credentials on public endpoints: a wrong Authorization header must not
    # turn a visitor's subscription into a 401.
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not page_enabled():
            raise Disabled()


def _body(request: Request) -> dict[str, Any]:
    data = request.data
    if isinstance(data, QueryDict):
        return {
            "email": data.get("email", ""),
            "name": data.get("name", ""),
            "list_uuids": data.getlist("l") or data.getlist("list_uuids"),
            HONEYPOT: data.get(HONEYPOT, ""),
        }
    if not isinstance(data, dict):
        raise BadRequest("", "the request body must be a JSON object")
    return data


class PublicSubscriptionView(PublicView):
    openapi_body = {
        "POST": obj(
            ("email", "list_uuids"), email=TEXT, name=TEXT, list_uuids=TEXT_LIST
        )
    }

    def post(self, request: Request) -> Response:
        body = _body(request)
        if body.get(HONEYPOT):
            return Response({"data": True})
        email = body.get("email")
        if not ratelimit.allow_ip(client_address(request)) or (
            isinstance(email, str)
            and email.strip()
            and not ratelimit.allow_address(email)
        ):
            raise TooManyAttempts()
        for field in ("email", "name"):
            if body.get(field) is not None and not isinstance(body[field], str):
                raise BadRequest(field, "must be a string")
        try:
            optin.public_subscribe(
                email=email,
                name=body.get("name") or "",
                list_uuids=body.get("list_uuids"),
                ip=client_address(request),
            )
        except SubscriberError as e:
            raise BadRequest(e.field, e.message) from None
        return Response({"data": True})


class PublicListsView(PublicView):
    # listmonk answers a bare array here.
    openapi_success_schema = {"type": "array", "items": obj(uuid=TEXT, name=TEXT)}

    def get(self, request: Request) -> Response:
        lists = optin.public_lists().values_list("uuid", "name")
        return Response([{"uuid": str(uuid), "name": name} for uuid, name in lists])


class ResendOptinView(APIView):
    """listmonk's POST /api/subscribers/{id}/optin."""

    def post(self, request: Request, pk: int) -> Response:
        subscriber = Subscriber.objects.filter(pk=pk).first()
        if subscriber is None:
            raise exceptions.NotFound(f"subscriber {pk} not found")
        if not confirmation.confirmations_enabled():
            raise BadRequest(
                "", "subscription confirmation (app.send_optin_confirmation) is off"
            )
        if subscriber.is_blocklisted:
            raise BadRequest("", "the subscriber is blocklisted: no mail is sent")
        # Nothing pending (no unconfirmed double opt-in membership): no mail,
        # and 200 as in listmonk, whose clients treat any error as a failure.
        confirmation.send_optin_confirmation(subscriber)
        return Response({"data": True})
