"""POST /webhooks/service/custom/<slug>: the admin-defined endpoints of the custom provider.

The endpoint is read per request from bounce.custom_providers (unknown or
disabled: 404); the rest is the built-in providers' pipeline
(service_views.receive): the body is capped (413), verified on the raw bytes
(401, nothing stored), parsed with the endpoint's paths (400 when malformed),
then stored in the inbox as provider "custom:<slug>" and processed on commit.
Duplicates answer 200 and add nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from stmails.config import get_value
from webhooks.providers.custom import CustomProvider, source_name
from webhooks.service_views import _error, method_not_allowed, receive


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
        return method_not_allowed()
    endpoint = find_endpoint(slug)
    if endpoint is None:
        return _error(404, f"unknown or disabled custom webhook {slug!r}")
    return receive(request, source_name(slug), CustomProvider(endpoint), endpoint)
