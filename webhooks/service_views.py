"""POST /webhooks/service/<provider>: the one pipeline for every provider's webhook.

`receive` runs steps 2 to 6 for the listed providers (`service_webhook`) and for
the custom provider's endpoints (custom_views.py), which differ only in how the
provider and its settings are found.

A plain Django view (not DRF: its parsers would reject SNS's text/plain and
re-serialize the body), CSRF-exempt, no login: the provider's own verification
is the authentication.

1. Wrong method: 405. Unknown or disabled provider (read per request): 404.
2. Body over MAX_BODY_BYTES: 413 (read with a cap, also for chunked bodies).
3. verify on the raw bytes: failure stores nothing and answers the status that
   stops the provider's retries (VerificationError.status); malformed JSON 400.
4. A handshake (SES subscription) is answered as is, nothing stored.
5. parse (pure), then bounce processing off: 503, the provider retries later.
6. store_events in one transaction; the new events are enqueued on commit;
   2xx. A duplicate (provider retry) also gets 2xx and adds nothing. Stored
   means answered 2xx, also when the broker is down: the beat job
   (tasks.retry_webhook_events) picks up received events nobody processed, and
   a 5xx would only make the provider send them again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from bounces.services import bounce_settings
from webhooks import services
from webhooks.intake import events_sender
from webhooks.providers.base import PayloadError, Provider, VerificationError
from webhooks.providers.registry import get_provider

log = logging.getLogger(__name__)
DEBUG_PAYLOAD_BYTES = 4000

MAX_BODY_BYTES = 4 * 1024 * 1024  # SendGrid flushes at 768 KB; Brevo batches up to 500


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"message": message}, status=status)


def _read_body(request: HttpRequest) -> bytes | None:
    """The raw body, or None when it is larger than MAX_BODY_BYTES."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return None
    body = request.read(MAX_BODY_BYTES + 1)
    return None if len(body) > MAX_BODY_BYTES else body


def method_not_allowed() -> JsonResponse:
    response = _error(405, "method not allowed: use POST")
    response["Allow"] = "POST"
    return response


@csrf_exempt
@login_not_required
def service_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    if request.method != "POST":
        return method_not_allowed()
    provider_cls = get_provider(provider)
    config = provider_cls.read_config() if provider_cls else None
    if provider_cls is None or not config or not config.get("enabled"):
        return _error(404, f"unknown or disabled provider {provider!r}")
    return receive(request, provider, provider_cls(), config)


def receive(
    request: HttpRequest, provider: str, handler: Provider, config: Mapping[str, Any]
) -> HttpResponse:
    """Steps 2 to 6 for an enabled provider (or custom endpoint): `provider` is
    the source name its events are stored under, `config` its decrypted settings."""
    raw = _read_body(request)
    if raw is None:
        return _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
    headers = request.headers
    if log.isEnabledFor(logging.DEBUG):
        # The body only (headers carry credentials), cut to keep lines sane.
        log.debug(
            "webhook %s payload (%d bytes): %s",
            provider,
            len(raw),
            raw[:DEBUG_PAYLOAD_BYTES].decode("utf-8", "replace"),
        )
    try:
        handler.verify(raw, headers, request.GET.dict(), config)
        handshake = handler.handshake(raw, headers, config)
        if handshake is None:
            events = handler.parse(raw, headers)
    except VerificationError as e:
        # Never log the credentials; the reason and the peer are enough.
        log.warning(
            "webhook %s refused from %s: %s",
            provider,
            request.META.get("REMOTE_ADDR"),
            e.message,
        )
        return _error(e.status, e.message)
    except PayloadError as e:
        return _error(400, e.message)
    if handshake is not None:
        log.info("webhook %s: %s", provider, handshake.note)
        try:
            services.apply_handshake_settings(handshake.settings_changes, provider)
        except services.WebhookError as e:
            log.error("webhook %s: could not store the handshake: %s", provider, e)
            return _error(500, "could not store the subscription")
        return HttpResponse(
            handshake.body, status=handshake.status, content_type=handshake.content_type
        )
    if not bounce_settings()["bounce.enabled"]:
        return _error(503, "bounce processing is disabled")
    with transaction.atomic():
        result = services.store_events(provider, events, headers)
        if result.new_ids:
            transaction.on_commit(partial(events_sender.add, result.new_ids))
    return JsonResponse(
        {"data": True, "stored": result.stored, "duplicates": result.duplicates}
    )
