"""Settings keys stmails does not implement: stored, reported, given back.

A settings map exported from listmonk (or PUT by a listmonk client) carries
keys stmails has no use for (app.logo_url, upload.*, security.oidc, ...). They
must not fail the request: `apply` validates and stores the keys stmails
implements as before (a bad value is still a SettingsError naming the key),
keeps the others in the `settings_unused` table and returns their names, and
`settings_map` gives both back, so a GET -> PUT round trip from a listmonk
client changes nothing.

Secrets: a key or object field whose name ends in password, key, secret or
token is treated as a credential: encrypted at rest, masked on read, and a
masked (or empty) value sent back keeps the stored one, as for registered keys.

A key registered later (another app starts to implement it) takes effect with
the value stored here: `adopt`, run after every `migrate`, moves such rows into
`settings` through update_settings, so the key's own validator and secret
handling apply. A value the new validator refuses stays here and is logged.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from django.db import transaction

from stmails.config import (
    REGISTRY,
    SettingsError,
    get_masked_settings,
    update_settings,
)
from stmails.lib import crypto
from stmails.models import SettingsChange, UnusedSetting

log = logging.getLogger(__name__)

SECRET_SUFFIXES = ("password", "key", "secret", "token")
# listmonk's key namespaces: an unknown key there is listmonk's (or a later
# listmonk's) and is stored. In a namespace only stmails has (alerts., probe.,
# campaign., ...) an unknown key is a typo or a removed key: still refused.
LISTMONK_NAMESPACES = frozenset(
    ("app", "privacy", "security", "upload", "smtp", "messengers", "bounce",
     "appearance", "maintenance", "subscriber", "waha", "webhooks")
)  # fmt: skip
KEY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}")
MAX_KEYS = 500
MAX_DEPTH = 8
MAX_VALUE_CHARS = 200_000


def looks_secret(name: str) -> bool:
    """A key (its last dotted part) or field named like a credential."""
    return name.rsplit(".", 1)[-1].lower().endswith(SECRET_SUFFIXES)


def _secrets(value: Any, fn: Callable[[str], str], secret: bool) -> Any:
    """`value` with fn applied to every string under a secret-looking name."""
    if isinstance(value, dict):
        return {k: _secrets(v, fn, looks_secret(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_secrets(v, fn, secret) for v in value]
    if secret and isinstance(value, str):
        return fn(value)
    return value


def masked(name: str, value: Any) -> Any:
    return _secrets(value, crypto.mask, looks_secret(name))


def _previous_item(item: Any, index: int, olds: list) -> Any:
    # Items with a uuid (listmonk's messengers) match by uuid, others by position.
    if isinstance(item, dict) and item.get("uuid"):
        return next(
            (o for o in olds if isinstance(o, dict) and o.get("uuid") == item["uuid"]),
            None,
        )
    return olds[index] if index < len(olds) else None


def _merge(new: Any, old: Any, secret: bool) -> Any:
    """The value to store: new secrets encrypted, masked or empty ones kept."""
    if isinstance(new, dict):
        old = old if isinstance(old, dict) else {}
        return {k: _merge(v, old.get(k), looks_secret(k)) for k, v in new.items()}
    if isinstance(new, list):
        olds = old if isinstance(old, list) else []
        return [
            _merge(v, _previous_item(v, i, olds), secret) for i, v in enumerate(new)
        ]
    if secret and isinstance(new, str):
        if crypto.is_masked(new):
            return old if isinstance(old, str) else ""
        return crypto.encrypt(new)
    return new


def _depth(value: Any, level: int = 0) -> int:
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _own_namespaces() -> set[str]:
    return {k.split(".", 1)[0] for k in REGISTRY} - LISTMONK_NAMESPACES


def check_unknown(unknown: dict[str, Any]) -> None:
    """Unknown keys are stored as sent, within limits (any JSON value)."""
    if len(unknown) > MAX_KEYS:
        raise SettingsError("settings", f"at most {MAX_KEYS} unknown keys")
    own = _own_namespaces()
    for name, value in unknown.items():
        if not KEY_NAME.fullmatch(name):
            raise SettingsError(
                name[:100], "is not a settings key name (letters, digits, . _ -)"
            )
        if name.split(".", 1)[0] in own:
            raise SettingsError(name, "unknown settings key")
        if _depth(value) > MAX_DEPTH:
            raise SettingsError(name, f"nested deeper than {MAX_DEPTH} levels")
        try:
            encoded = json.dumps(value)
        except (TypeError, ValueError):  # an uploaded file, from a form body
            raise SettingsError(name, "is not a JSON value") from None
        if len(encoded) > MAX_VALUE_CHARS:
            raise SettingsError(name, f"longer than {MAX_VALUE_CHARS} characters")


def _store(unknown: dict[str, Any], actor: str) -> None:
    stored = {
        row.key: row.value
        for row in UnusedSetting.objects.select_for_update().filter(key__in=unknown)
    }
    for name, value in unknown.items():
        old = stored.get(name)
        new = _merge(value, old, looks_secret(name))
        if name in stored and new == old:
            continue
        UnusedSetting.objects.update_or_create(key=name, defaults={"value": new})
        SettingsChange.objects.create(
            actor=actor,
            key=name,
            old_value=masked(name, old) if name in stored else None,
            new_value=masked(name, new),
        )


@transaction.atomic
def apply(changes: Any, *, actor: str = SettingsChange.SYSTEM) -> list[str]:
    """PUT /api/settings: store a settings map, all or nothing. Returns the
    names of the keys stmails does not use (stored only), sorted."""
    if not isinstance(changes, dict):
        raise SettingsError("settings", "must be a JSON object of keys and values")
    known = {k: v for k, v in changes.items() if k in REGISTRY}
    unknown = {k: v for k, v in changes.items() if k not in REGISTRY}
    check_unknown(unknown)
    update_settings(known, actor=actor)
    _store(unknown, actor)
    # A row left from before its key was registered (adopt not run yet).
    UnusedSetting.objects.filter(key__in=known).delete()
    return sorted(unknown)


def stored_values() -> dict[str, Any]:
    """Stored-only keys, masked, without any key registered since."""
    return {
        key: masked(key, value)
        for key, value in UnusedSetting.objects.values_list("key", "value")
        if key not in REGISTRY
    }


def settings_map() -> dict[str, Any]:
    """GET /api/settings: stmails' keys and the stored-only ones, masked."""
    return {**stored_values(), **get_masked_settings()}


def adopt() -> list[str]:
    """Move stored rows of keys registered since into `settings`; returns
    the adopted keys. Idempotent; a refused value stays and is logged."""
    adopted = []
    rows = UnusedSetting.objects.filter(key__in=list(REGISTRY))
    for name, value in rows.values_list("key", "value"):
        try:
            plain = _secrets(value, crypto.decrypt, looks_secret(name))
            with transaction.atomic():
                update_settings({name: plain})
                UnusedSetting.objects.filter(key=name).delete()
        except (SettingsError, crypto.DecryptionError) as e:
            log.warning("stored settings key %s not adopted: %s", name, e)
            continue
        adopted.append(name)
    return adopted


def stored_secrets() -> list[str]:
    """The stored-only credentials, decrypted, for stmails.log_redaction to
    hide (stmails never uses them, but a client may echo them somewhere)."""
    found: list[str] = []

    def keep(stored: str) -> str:
        try:
            found.append(crypto.decrypt(stored))
        except crypto.DecryptionError:
            pass
        return stored

    for key, value in UnusedSetting.objects.values_list("key", "value"):
        _secrets(value, keep, looks_secret(key))
    return [v for v in found if v]
