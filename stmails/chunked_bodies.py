"""Request bodies sent with Transfer-Encoding: chunked (no Content-Length).

Django reads exactly CONTENT_LENGTH bytes of a body, so a chunked body reads as
empty: PUT /api/settings answered 200 and changed nothing. When the server has
decoded the chunks and marks the end of the input (gunicorn sets
wsgi.input_terminated), the body is read here, capped, and handed to Django
with its length; when it has not (servers that pass chunked bytes through),
the answer is 411 Length Required rather than a silent no-op.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse, JsonResponse

READ_BYTES = 64 * 1024
JSON_PREFIXES = ("/api/", "/webhooks/")


def max_chunked_bytes() -> int:
    """The largest body accepted without Content-Length: a subscriber import's
    file plus room for the multipart envelope."""
    return max(
        settings.STMAILS_MAX_UPLOAD_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    ) + (1024 * 1024)


def _refusal(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if request.path.startswith(JSON_PREFIXES) or request.path in ("/api", "/webhooks"):
        return JsonResponse({"message": message}, status=status)
    return HttpResponse(message + "\n", status=status, content_type="text/plain")


def is_chunked(request: HttpRequest) -> bool:
    encoding = request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return "chunked" in encoding and not request.META.get("CONTENT_LENGTH")


class ChunkedBodyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_chunked(request):
            return self.get_response(request)
        if not request.META.get("wsgi.input_terminated"):
            return _refusal(
                request,
                411,
                "a chunked body is not supported here: send Content-Length",
            )
        limit = max_chunked_bytes()
        source = request.META["wsgi.input"]
        body = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (lives as long as the request)
            max_size=settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        size = 0
        while chunk := source.read(READ_BYTES):
            size += len(chunk)
            if size > limit:
                body.close()
                return _refusal(request, 413, f"body larger than {limit} bytes")
            body.write(chunk)
        body.seek(0)
        request.META["CONTENT_LENGTH"] = str(size)
        request.META["wsgi.input"] = body
        request._stream = LimitedStream(body, size)
        request._read_started = False
        try:
            return self.get_response(request)
        finally:
            body.close()
