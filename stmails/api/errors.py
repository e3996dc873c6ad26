"""listmonk's error shape for every API error: {"message": "..."}."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from stmails.lib.input_checks import InvalidInput


def _first_message(detail, path: str = "") -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == "non_field_errors":
                return _first_message(value, path)
            return _first_message(value, f"{path}.{key}" if path else str(key))
        return "invalid input"
    if isinstance(detail, list):
        for i, value in enumerate(detail):
            if isinstance(value, dict | list):
                return _first_message(value, f"{path}[{i}]")
            return _first_message(value, path)
        return "invalid input"
    return f"{path}: {detail}" if path else str(detail)


def handle_exception(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if str(exc) else "not found")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, InvalidInput):
        exc = BadRequest(exc.field, exc.message)
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.NotAuthenticated):
        message = "authentication required: use basic auth or Authorization: token"
    else:
        message = _first_message(exc.detail)
    set_rollback()
    code = exc.status_code
    if isinstance(exc, exceptions.ParseError):
        code = status.HTTP_400_BAD_REQUEST
    return Response({"message": message}, status=code, headers=headers)


class BadRequest(exceptions.APIException):
    """A 400 whose message names the field: BadRequest("email", "invalid email")."""

    status_code = 400

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}" if field else message)
