"""GET/PUT /api/settings, PUT /api/settings/{key}, POST /api/settings/smtp/test.

listmonk's shapes: the flat key map in {"data": ...}, credentials masked on read;
a masked or empty credential sent back keeps the stored one. Keys stmails does
not implement are stored and given back, never refused (stmails.config.unused).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from stmails import config
from stmails.api.errors import BadRequest
from stmails.api.schema import BOOL, TEXT, obj
from stmails.config import unused
from stmails.models import ApiUser, SettingsChange
from stmails.smtp_check import SmtpCheckError, try_server


def _check_url_changes(request, changes) -> None:
    """API users may not point stmails' outgoing requests anywhere new, unless
    the operator allows it: a leaked token must not turn stmails into a proxy."""
    if settings.STMAILS_API_USERS_SET_URLS or not isinstance(request.user, ApiUser):
        return
    if not isinstance(changes, dict):
        return
    for name, value in changes.items():
        key = config.REGISTRY.get(name)
        if key is None or not key.outbound_url:
            continue
        try:
            value = key.validate(name, value)
        except config.SettingsError:
            return  # update_settings names the bad value
        if value != config.get_value(name):
            raise exceptions.PermissionDenied(
                f"{name}: API users may not change where stmails sends requests; "
                "an admin can (or the operator sets STMAILS_API_USERS_SET_URLS=true)"
            )


def _update(request, changes) -> Response:
    """listmonk's answer {"data": true}, plus "unused_keys": the keys stmails
    stored without using them (stmails.config.unused)."""
    _check_url_changes(request, changes)
    try:
        unused_keys = unused.apply(
            changes, actor=SettingsChange.actor_for(request.user)
        )
    except config.SettingsError as e:
        raise BadRequest(e.field, e.message) from None
    return Response({"data": True, "unused_keys": unused_keys})


class SettingsView(APIView):
    def get(self, request):
        return Response({"data": unused.settings_map()})

    def put(self, request):
        return _update(request, request.data)


class SettingKeyView(APIView):
    """PUT /api/settings/{key} with the key's raw JSON value as the body."""

    def put(self, request, key: str):
        return _update(request, {key: request.data})


class SmtpTestView(APIView):
    openapi_body = {
        "POST": obj(
            ("host", "port"),
            uuid=TEXT,
            host=TEXT,
            port={"type": "integer", "minimum": 1, "maximum": 65535},
            username=TEXT,
            password=TEXT,
            tls_type={"type": "string", "enum": ["none", "STARTTLS", "TLS"]},
            tls_skip_verify=BOOL,
            email=TEXT,
        )
    }

    """Body: one SMTP server's JSON, plus an optional "email" to send a test mail to."""

    def post(self, request):
        data = request.data
        if not isinstance(data, dict):
            raise BadRequest("smtp", "must be a JSON object (one SMTP server)")
        data = dict(data)
        to = data.pop("email", None)
        try:
            try_server(data, to=to or None)
        except config.SettingsError as e:
            raise BadRequest(e.field, e.message) from None
        except SmtpCheckError as e:
            raise BadRequest("", e.message) from None
        return Response({"data": True})
