"""Error pages: /api/ and /webhooks/ answer {"message": ...} JSON, every other path HTML.

Django's own 400/403/404/500 answers are HTML pages; scripts talking to the API
(or a provider posting to a webhook) get listmonk's JSON error shape instead,
also for unknown routes, oversized bodies and unexpected errors.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

MACHINE_PREFIXES = ("/api/", "/webhooks/")


def is_machine_path(path: str) -> bool:
    return path.startswith(MACHINE_PREFIXES) or path in ("/api", "/webhooks")


def json_error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_machine_path(request.path):
        # Such as a body over DATA_UPLOAD_MAX_MEMORY_SIZE (RequestDataTooBig).
        text = str(exception) or "bad request"
        return json_error(400, text[:200])
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_machine_path(request.path):
        return json_error(403, "permission denied")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_machine_path(request.path):
        return json_error(404, "not found")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_machine_path(request.path):
        return json_error(500, "internal error")
    return defaults.server_error(request)
