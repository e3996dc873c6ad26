"""Custom provider: an admin-defined endpoint for a sender stmails does not ship.

POST /webhooks/service/custom/<slug>. Each endpoint is one object in the
settings key bounce.custom_providers (webhooks/providers/custom_config.py):

- auth: "basic" (username + secret), "bearer" (secret is the token) or "hmac"
  (HMAC-SHA256 of the raw body with the secret, in `signature_header`, hex or
  base64, after an optional `signature_prefix` such as "sha256="); the secret and
  previous_secret (rotation) are encrypted at rest. No secret: refuse all.
- paths: dotted paths into each event ("data.recipient.email", list indexes as
  numbers: "events.0.email"); `batch_path` names the list of events ("" = the
  body itself, an array of events or a single event).
- type_map: the event type's value -> hard | soft | complaint | ignore; values
  not listed are stored as ignored (visible on the inbox page).
Event key: the value at id_path, else a hash of the whole event (so a resent
identical event is still recorded once).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import Any

from webhooks.providers.base import (
    COMPLAINT,
    HARD,
    IGNORED,
    SOFT,
    PayloadError,
    Provider,
    ProviderEvent,
    VerificationError,
)
from webhooks.providers.parsing import (
    clip_key,
    load_json,
    parse_time,
    recipient_address,
    stable_key,
)
from webhooks.providers.verification import basic_auth_ok, matches, secrets

AUTH_MODES = ("basic", "bearer", "hmac")
ENCODINGS = ("hex", "base64")
MAPPED_TYPES = {"hard": HARD, "soft": SOFT, "complaint": COMPLAINT, "ignore": IGNORED}
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,48}[a-z0-9])?$")
PATH_RE = re.compile(r"^[^.\s]+(\.[^.\s]+)*$")
PATH_FIELDS = (
    "batch_path",
    "email_path",
    "type_path",
    "id_path",
    "timestamp_path",
    "message_id_path",
)
MISSING = object()


SOURCE_PREFIX = "custom:"


def source_name(slug: str) -> str:
    """The provider name stored on inbox events and bounces."""
    return SOURCE_PREFIX + slug


def valid_path(path: str) -> bool:
    return path == "" or bool(PATH_RE.match(path))


def resolve(data: Any, path: str, default: Any = None) -> Any:
    """Follow "a.b.0.c" through objects and lists; "" is the value itself.

    A step that is a number indexes a list (negative counts from the end); any
    missing step gives `default`.
    """
    if not path:
        return data
    node = data
    for step in path.split("."):
        if isinstance(node, dict):
            node = node.get(step, MISSING)
        elif isinstance(node, list):
            try:
                index = int(step)
            except ValueError:
                return default
            node = node[index] if -len(node) <= index < len(node) else MISSING
        else:
            return default
        if node is MISSING:
            return default
    return node


def _scalar(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _email(value: Any) -> str:
    # A one-element recipient list ("to": ["a@b"]) is common; more is ambiguous.
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return recipient_address(value)


def _time(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 1e11:
        return value / 1000  # epoch milliseconds
    return value


def map_type(value: str, type_map: Mapping[str, str]) -> str:
    """Exact match first, then case-insensitive; unknown values are ignored."""
    if value in type_map:
        return MAPPED_TYPES.get(type_map[value], IGNORED)
    lowered = value.lower()
    for key, mapped in type_map.items():
        if key.lower() == lowered:
            return MAPPED_TYPES.get(mapped, IGNORED)
    return IGNORED


def expected_signature(secret: str, raw_body: bytes, encoding: str) -> str:
    digest = hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()
    return digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()


class CustomProvider(Provider):
    """One admin-defined endpoint; `endpoint` is its settings object (decrypted)."""

    reject_status = 401

    def __init__(self, endpoint: Mapping[str, Any]):
        self.endpoint = endpoint

    def verify(
        self,
        raw_body: bytes,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        config: Mapping[str, Any],
    ) -> None:
        if not any(secrets(config, "secret")):
            raise VerificationError("no secret is configured", self.reject_status)
        mode = config.get("auth")
        if mode == "basic":
            ok = basic_auth_ok(headers, config, "username", "secret")
        elif mode == "bearer":
            scheme, _, token = (headers.get("Authorization") or "").partition(" ")
            ok = scheme.lower() == "bearer" and any(
                matches(token.strip(), s) for s in secrets(config, "secret")
            )
        elif mode == "hmac":
            ok = self._signature_ok(raw_body, headers, config)
        else:
            ok = False
        if not ok:
            raise VerificationError(
                f"{mode} authentication missing or wrong", self.reject_status
            )

    def _signature_ok(
        self, raw_body: bytes, headers: Mapping[str, str], config: Mapping[str, Any]
    ) -> bool:
        given = (headers.get(config.get("signature_header") or "") or "").strip()
        prefix = config.get("signature_prefix") or ""
        if prefix:
            if not given.lower().startswith(prefix.lower()):
                return False
            given = given[len(prefix) :].strip()
        encoding = config.get("signature_encoding") or "hex"
        if encoding == "hex":
            given = given.lower()
        ok = False
        for secret in secrets(config, "secret"):
            ok = matches(given, expected_signature(secret, raw_body, encoding)) or ok
        return bool(given) and ok

    def parse(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        data = load_json(raw_body)
        batch_path = self.endpoint.get("batch_path") or ""
        root = resolve(data, batch_path, MISSING)
        if root is MISSING:
            raise PayloadError(f"nothing at the batch path {batch_path!r}")
        items = root if isinstance(root, list) else [root]
        if not all(isinstance(i, dict) for i in items):
            raise PayloadError("every event must be a JSON object")
        return [self._event(item) for item in items]

    def _event(self, item: dict) -> ProviderEvent:
        cfg = self.endpoint
        type_value = _scalar(resolve(item, cfg.get("type_path") or ""))
        email = _email(resolve(item, cfg.get("email_path") or ""))
        btype = map_type(type_value, cfg.get("type_map") or {})
        event_id = _scalar(resolve(item, cfg["id_path"])) if cfg.get("id_path") else ""
        if not event_id:
            event_id = stable_key(json.dumps(item, sort_keys=True, default=str))
        when = (
            resolve(item, cfg["timestamp_path"]) if cfg.get("timestamp_path") else None
        )
        message_id = (
            _scalar(resolve(item, cfg["message_id_path"]))
            if cfg.get("message_id_path")
            else ""
        )
        return ProviderEvent(
            email=email,
            type=btype if email else IGNORED,
            event_key=clip_key(event_id),
            message_id=message_id,
            occurred_at=parse_time(_time(when)),
            diagnostic=f"event type {type_value!r}"[:1000],
            raw=item,
        )
