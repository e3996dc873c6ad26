"""The shape of bounce.custom_providers (declared in webhooks/settings_keys.py):
the admin-defined endpoints of the custom provider (webhooks/providers/custom.py),
a list of objects matched by uuid, whose `secret` and `previous_secret` are
encrypted at rest and masked on read. Validators only: no registration here.
"""

from __future__ import annotations

from typing import Any

from stmails.config import (
    SettingsError,
    as_bool,
    as_choice,
    as_list_of,
    as_object,
    as_str,
    as_uuid,
)
from webhooks.providers.custom import (
    AUTH_MODES,
    ENCODINGS,
    MAPPED_TYPES,
    PATH_FIELDS,
    SLUG_RE,
    valid_path,
)

CUSTOM_DEFAULTS: dict[str, Any] = {
    "uuid": "",
    "slug": "",
    "name": "",
    "enabled": True,
    "auth": "hmac",
    "username": "",
    "secret": "",
    "previous_secret": "",
    "signature_header": "X-Signature",
    "signature_encoding": "hex",
    "signature_prefix": "",
    "batch_path": "",
    "email_path": "email",
    "type_path": "event",
    "id_path": "",
    "timestamp_path": "",
    "message_id_path": "",
    "type_map": {},
}
MAX_TYPE_VALUES = 100


def as_slug(name: str, value: Any) -> str:
    value = as_str(50, required=True)(name, value).lower()
    if not SLUG_RE.match(value):
        raise SettingsError(
            name, "use lowercase letters, digits, - and _ (such as my-sender)"
        )
    return value


def as_path(*, required: bool = False):
    def check(name: str, value: Any) -> str:
        value = as_str(200, required=required)(name, value)
        if not valid_path(value):
            raise SettingsError(
                name, "must be a dotted path such as data.recipient or events.0.email"
            )
        return value

    return check


def as_header_name(name: str, value: Any) -> str:
    value = as_str(100)(name, value)
    if value and not all(c.isalnum() or c in "-_" for c in value):
        raise SettingsError(name, "must be a header name such as X-Signature")
    return value


def as_type_map(name: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise SettingsError(name, 'must be an object such as {"bounce": "hard"}')
    if len(value) > MAX_TYPE_VALUES:
        raise SettingsError(name, f"at most {MAX_TYPE_VALUES} event types")
    out = {}
    for key, mapped in value.items():
        key = key.strip()
        if not key or len(key) > 200:
            raise SettingsError(name, "event type values must be 1 to 200 characters")
        out[key] = as_choice(*MAPPED_TYPES)(f"{name}.{key}", mapped)
    return out


_fields = {
    "uuid": as_uuid,
    "slug": as_slug,
    "name": as_str(100, required=True),
    "enabled": as_bool,
    "auth": as_choice(*AUTH_MODES),
    "username": as_str(200),
    "secret": as_str(1000),
    "previous_secret": as_str(1000),
    "signature_header": as_header_name,
    "signature_encoding": as_choice(*ENCODINGS),
    "signature_prefix": as_str(50),
    "type_map": as_type_map,
    **{f: as_path(required=f in ("email_path", "type_path")) for f in PATH_FIELDS},
}
_endpoint = as_object(_fields, defaults=CUSTOM_DEFAULTS)
_endpoints = as_list_of(_endpoint, max_items=50)


def as_custom_providers(name: str, value: Any) -> list[dict]:
    endpoints = _endpoints(name, value)
    seen: set[str] = set()
    for i, endpoint in enumerate(endpoints):
        if endpoint["slug"] in seen:
            raise SettingsError(
                f"{name}[{i}].slug", "is already used by another endpoint"
            )
        seen.add(endpoint["slug"])
        if endpoint["auth"] == "basic" and not endpoint["username"]:
            raise SettingsError(f"{name}[{i}].username", "is required for basic auth")
        if endpoint["auth"] == "hmac" and not endpoint["signature_header"]:
            raise SettingsError(
                f"{name}[{i}].signature_header", "is required for HMAC signatures"
            )
    return endpoints
