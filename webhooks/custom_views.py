"""POST /webhooks/service/custom/<slug>: the admin-defined endpoints of the custom provider.

The same store-first pipeline as the built-in providers (service_views): the
endpoint is read per request from bounce.custom_providers (unknown or disabled:
404), the body is capped (413), verified on the raw bytes (401, nothing stored),
parsed with the endpoint's paths (400 when malformed), then stored in the inbox
as provider "custom:<slug>" and processed on commit. Duplicates answer 200 and
add nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from bounces.services import bounce_settings
from stmails.config import get_value
from webhooks import services, tasks
from webhooks.providers.base import PayloadError, VerificationError
from webhooks.providers.custom import CustomProvider, source_name
from webhooks.service_views import MAX_BODY_BYTES, _error, _read_body

log = logging.getLogger(__name__)


def find_endpoint(slug: str) -> dict[str, Any] | None:
    """The enabled endpoint with this slug (secrets decrypted), or None."""
    for endpoint in get_value("bounce.custom_providers"):
        if endpoint.get("slug") == slug and endpoint.get("enabled"):
            return endpoint
    return None


@csrf_exempt
@login_not_required
def custom_webhook(request: HttpRequest, slug: str) -> HttpResponse:
    if request.method != "POST":
        response = _error(405, "method not allowed: use POST")
        response["Allow"] = "POST"
        return response
    endpoint = find_endpoint(slug)
    if endpoint is None:
        return _error(404, f"unknown or disabled custom webhook {slug!r}")
    raw = _read_body(request)
    if raw is None:
        return _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
    handler = CustomProvider(endpoint)
    provider = source_name(slug)
    try:
        handler.verify(raw, request.headers, request.GET.dict(), endpoint)
        events = handler.parse(raw, request.headers)
    except VerificationError as e:
        log.warning(
            "webhook %s refused from %s: %s",
            provider,
            request.META.get("REMOTE_ADDR"),
            e.message,
        )
        return _error(e.status, e.message)
    except PayloadError as e:
        return _error(400, e.message)
    if not bounce_settings()["bounce.enabled"]:
        return _error(503, "bounce processing is disabled")
    with transaction.atomic():
        result = services.store_events(provider, events, request.headers)
        if result.new_ids:
            tasks.process_webhook_events.delay_on_commit(event_ids=result.new_ids)
    return JsonResponse(
        {"data": True, "stored": result.stored, "duplicates": result.duplicates}
    )
