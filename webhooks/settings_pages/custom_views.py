"""Settings → Bounces → Provider webhooks → custom endpoints (bounce.custom_providers).

One page per endpoint (new, or by uuid): save, delete, and "test a payload",
which parses a pasted body with the form's current paths and mapping and shows
what would be recorded: parse only, nothing verified or written. The registry
validators (webhooks/providers/custom_config.py) decide what is valid; their
SettingsError lands beside the field it names.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from stmails import config
from stmails.lib import crypto
from stmails.models import SettingsChange
from stmails.settings_pages.views import TABS
from webhooks.models import WebhookEvent
from webhooks.providers.base import PayloadError
from webhooks.providers.custom import (
    ENCODINGS,
    MAPPED_TYPES,
    PATH_FIELDS,
    CustomProvider,
    source_name,
)
from webhooks.providers.custom_config import CUSTOM_DEFAULTS, as_path, as_type_map

KEY = "bounce.custom_providers"
SECRETS = ("secret", "previous_secret")
MAP_LINE = re.compile(
    r"^(?P<value>.+?)\s*[=:]\s*(?P<type>" + "|".join(MAPPED_TYPES) + r")\s*$"
)
BASE_PATH = "/settings/bounces/providers/custom"


def parse_type_map(text: str) -> dict[str, str]:
    """Lines such as "bounce = hard" or "spam: complaint" -> {"bounce": "hard", ...}."""
    out = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = MAP_LINE.match(line.strip())
        if not m:
            raise forms.ValidationError(
                f"line {number}: write VALUE = hard, soft, complaint or ignore"
            )
        out[m["value"]] = m["type"]
    return out


def format_type_map(mapping: dict[str, str]) -> str:
    return "\n".join(f"{value} = {btype}" for value, btype in mapping.items())


def _secret_input(stored: bool) -> forms.PasswordInput:
    return forms.PasswordInput(
        render_value=False,
        attrs={
            "placeholder": crypto.MASK if stored else "not set",
            "autocomplete": "off",
        },
    )


class CustomEndpointForm(forms.Form):
    name = forms.CharField(max_length=100, required=False)
    slug = forms.CharField(
        max_length=50,
        required=False,
        help_text="The URL is /webhooks/service/custom/SLUG",
    )
    enabled = forms.BooleanField(required=False)
    auth = forms.ChoiceField(
        choices=[
            ("hmac", "HMAC-SHA256 signature of the body"),
            ("basic", "Basic auth"),
            ("bearer", "Bearer token"),
        ]
    )
    username = forms.CharField(
        max_length=200, required=False, help_text="Basic auth only"
    )
    secret = forms.CharField(
        max_length=1000,
        required=False,
        strip=False,
        label="Secret (password, token or HMAC key)",
        help_text="Stored encrypted. Leave empty to keep the stored value.",
    )
    previous_secret = forms.CharField(
        max_length=1000,
        required=False,
        strip=False,
        label="Previous secret (rotation)",
        help_text="Accepted too while the sender switches to the new secret.",
    )
    signature_header = forms.CharField(
        max_length=100, required=False, label="Signature header"
    )
    signature_encoding = forms.ChoiceField(choices=[(e, e) for e in ENCODINGS])
    signature_prefix = forms.CharField(
        max_length=50,
        required=False,
        help_text='Stripped before comparing, e.g. "sha256="',
    )
    batch_path = forms.CharField(
        max_length=200,
        required=False,
        label="Batch path",
        help_text='Where the list of events is, e.g. "events"; empty: the body itself',
    )
    email_path = forms.CharField(
        max_length=200, required=False, label="Recipient email path"
    )
    type_path = forms.CharField(max_length=200, required=False, label="Event type path")
    id_path = forms.CharField(max_length=200, required=False, label="Event id path")
    timestamp_path = forms.CharField(
        max_length=200, required=False, label="Timestamp path"
    )
    message_id_path = forms.CharField(
        max_length=200, required=False, label="Message id path"
    )
    type_map = forms.CharField(
        required=False,
        label="Event types",
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text="One per line: VALUE = hard, soft, complaint or ignore. Others are ignored.",
    )
    payload = forms.CharField(
        required=False,
        strip=False,
        label="Payload",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text="Paste a body the sender posts: shows what would be recorded. Nothing is saved.",
    )

    def __init__(self, *args: Any, stored: dict | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in SECRETS:
            self.fields[name].widget = _secret_input(bool((stored or {}).get(name)))

    def clean_type_map(self) -> dict[str, str]:
        return parse_type_map(self.cleaned_data.get("type_map") or "")

    def endpoint(self, endpoint_id: str) -> dict[str, Any]:
        data = {
            k: self.cleaned_data[k] for k in CUSTOM_DEFAULTS if k in self.cleaned_data
        }
        return {**CUSTOM_DEFAULTS, **data, "uuid": endpoint_id}

    def add_settings_error(self, error: config.SettingsError) -> None:
        # "bounce.custom_providers[2].type_map.bounce" -> "type_map"
        tail = error.field.split("].", 1)[-1] if "]." in error.field else error.field
        name = tail.split(".", 1)[0]
        self.add_error(name if name in self.fields else None, error.message)


def _endpoints() -> list[dict]:
    return config.get_masked_settings()[KEY]


def _render(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    context = {
        "nav": "settings",
        "tabs": TABS,
        "tab": "bounces",
        "endpoints": _endpoints(),
        "root_url": config.get_value("app.root_url"),
        **context,
    }
    return render(request, "webhooks/custom.html", context, status=status)


def _initial(endpoint: dict) -> dict:
    initial = {k: v for k, v in endpoint.items() if k not in SECRETS}
    initial["type_map"] = format_type_map(endpoint.get("type_map") or {})
    return initial


def _test(form: CustomEndpointForm, endpoint_id: str) -> dict | None:
    """Parse the pasted payload with the form's paths: events, or an error. No write."""
    endpoint = form.endpoint(endpoint_id)
    try:
        for name in PATH_FIELDS:
            endpoint[name] = as_path()(name, endpoint[name])
        as_type_map("type_map", endpoint["type_map"])
    except config.SettingsError as e:
        form.add_settings_error(e)
        return None
    try:
        events = CustomProvider(endpoint).parse(
            form.cleaned_data["payload"].encode(), {}
        )
    except PayloadError as e:
        return {"error": e.message, "events": []}
    return {"error": None, "events": events}


def _recent(slug: str) -> list[WebhookEvent]:
    return list(
        WebhookEvent.objects.filter(provider=source_name(slug)).order_by(
            "-received_at"
        )[:10]
    )


@require_http_methods(["GET", "POST"])
def custom_endpoint(request: HttpRequest, uuid: str | None = None) -> HttpResponse:
    """New endpoint (uuid None) or an existing one: save, delete or test a payload."""
    endpoints = _endpoints()
    current = None
    if uuid is not None:
        current = next((e for e in endpoints if e["uuid"] == str(uuid)), None)
        if current is None:
            raise Http404("no such custom endpoint")
    endpoint_id = (
        current["uuid"] if current else _new_id(request.POST.get("uuid"), endpoints)
    )
    initial = _initial(current) if current else _initial(CUSTOM_DEFAULTS)
    form = CustomEndpointForm(request.POST or None, initial=initial, stored=current)
    action = request.POST.get("action", "save")
    test_result = None
    if request.method == "POST" and action == "delete" and current is not None:
        config.update_settings(
            {KEY: [e for e in endpoints if e is not current]},
            actor=SettingsChange.actor_for(request.user),
        )
        messages.success(request, f"Custom endpoint {current['name']} deleted.")
        return redirect("/settings/bounces/providers")
    if request.method == "POST" and form.is_valid():
        if action == "test":
            test_result = _test(form, endpoint_id)
        else:
            endpoint = form.endpoint(endpoint_id)
            for (
                name
            ) in SECRETS:  # empty keeps the stored value (masked for the registry)
                endpoint[name] = endpoint[name] or (crypto.MASK if current else "")
            if current is None:
                endpoints.append(endpoint)
            else:
                endpoints[endpoints.index(current)] = endpoint
            try:
                config.update_settings(
                    {KEY: endpoints}, actor=SettingsChange.actor_for(request.user)
                )
            except config.SettingsError as e:
                form.add_settings_error(e)
            else:
                messages.success(request, f"Custom endpoint {endpoint['name']} saved.")
                return redirect(f"{BASE_PATH}/{endpoint_id}")
    context = {
        "form": form,
        "endpoint_id": endpoint_id,
        "current": current,
        "test_result": test_result,
        "recent": _recent(current["slug"]) if current else [],
    }
    return _render(request, context, 400 if form.errors else 200)


def _new_id(posted: str | None, endpoints: list[dict]) -> str:
    """Keep the id a "test" round trip carried, unless it is taken or bad."""
    try:
        candidate = str(uuidlib.UUID(posted or ""))
    except ValueError:
        return str(uuidlib.uuid4())
    if any(e["uuid"] == candidate for e in endpoints):
        return str(uuidlib.uuid4())
    return candidate
