"""Settings stored in the database, with listmonk's keys (GET/PUT /api/settings).

One registry (`stmails.config.keys`) drives validation, defaults, masking and
encryption; the Settings pages and the API both go through `update_settings`.
Each app declares its keys in its one `<app>/settings_keys.py`, found at
startup by `stmails.config.discovery`.

Values are read from the database on every call, so a change takes effect on the
next request with no restart.

Importing this package needs no app registry: the models are imported in the
functions that use them. The providers' modules declare their keys with the
registry's names from here, and `manage.py parse_webhook` imports them without
starting Django (webhooks.parse_cli; tests/webhooks/test_parse_webhook.py).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

from stmails.config.keys import (
    REGISTRY,
    SUMMARIES,
    WHOLE_VALUE,
    Key,
    SettingsError,
    Validator,
    as_bool,
    as_choice,
    as_email_address,
    as_host,
    as_int,
    as_list_of,
    as_object,
    as_str,
    as_url,
    as_uuid,
    register,
    register_summary,
)
from stmails.lib import crypto

__all__ = [
    "REGISTRY",
    "SUMMARIES",
    "WHOLE_VALUE",
    "Key",
    "SettingsError",
    "Validator",
    "as_bool",
    "as_choice",
    "as_email_address",
    "as_host",
    "as_int",
    "as_list_of",
    "as_object",
    "as_str",
    "as_url",
    "as_uuid",
    "get_masked_settings",
    "get_value",
    "get_values",
    "register",
    "register_summary",
    "reuse_secret",
    "secret_values",
    "update_settings",
    "validate_changes",
]


# --- reading --------------------------------------------------------------------


def _stored() -> dict[str, Any]:
    from stmails.models import Setting

    return dict(Setting.objects.values_list("key", "value"))


def _raw(key: Key, stored: dict[str, Any]) -> Any:
    return copy.deepcopy(stored[key.name] if key.name in stored else key.default)


def _map_secrets(key: Key, value: Any, fn: Callable[[str], str]) -> Any:
    if key.secret == WHOLE_VALUE:
        return fn(value or "")
    if not key.secret:
        return value
    items = value if isinstance(value, list) else [value]
    for item in items:
        for fname in key.secret:
            item[fname] = fn(item.get(fname) or "")
    return value


def get_value(name: str) -> Any:
    """One key's value with credentials decrypted, for the code that uses it."""
    from stmails.models import Setting

    key = REGISTRY[name]
    row = Setting.objects.filter(key=name).values_list("value", flat=True).first()
    value = copy.deepcopy(row) if row is not None else copy.deepcopy(key.default)
    return _map_secrets(key, value, crypto.decrypt)


def _stored_subset(names: tuple[str, ...]) -> dict[str, Any]:
    # Raw SQL: every API request and bounce reads settings, and compiling the ORM
    # query cost more than running it. JSON arrives as text on both databases.
    sql = "SELECT key, value FROM settings WHERE key IN ({})".format(  # noqa: S608 (placeholders only)
        ", ".join(["%s"] * len(names))
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(names))
        rows = cursor.fetchall()
    return {k: json.loads(v) if isinstance(v, str | bytes) else v for k, v in rows}


def get_values(*names: str) -> dict[str, Any]:
    stored = _stored_subset(names)
    return {
        n: _map_secrets(REGISTRY[n], _raw(REGISTRY[n], stored), crypto.decrypt)
        for n in names
    }


def get_masked_settings() -> dict[str, Any]:
    """The flat key map as GET /api/settings shows it: credentials masked."""
    stored = _stored()
    return {
        name: _map_secrets(key, _raw(key, stored), crypto.mask)
        for name, key in sorted(REGISTRY.items())
    }


# --- writing --------------------------------------------------------------------


def reuse_secret(key: Key, item: dict, previous: dict, fname: str, where: str) -> str:
    """The stored secret `previous[fname]` for an item that sent it back masked,
    only while the item's destination (`key.bound_to`) is the stored one.

    `previous` holds the stored secret as stored (encrypted) or decrypted: it is
    returned as it is. Raises SettingsError naming `where.fname` otherwise.
    """
    stored = previous.get(fname) or ""
    changed = [f for f in key.bound_to if item.get(f) != previous.get(f)]
    if stored and changed:
        raise SettingsError(
            f"{where}.{fname}",
            f"enter it again: {', '.join(changed)} changed, and a stored "
            f"{fname} is only reused for the server it was entered for",
        )
    return stored


def _merge_secrets(key: Key, new: Any, old: Any) -> Any:
    """Encrypt new credentials; a masked or empty one keeps the stored value
    (if the item still points where it did: see reuse_secret)."""
    if key.secret == WHOLE_VALUE:
        return old if crypto.is_masked(new) else crypto.encrypt(new)
    if not key.secret:
        return new
    if isinstance(new, list):
        old_by_uuid = {o.get("uuid"): o for o in (old or []) if isinstance(o, dict)}
        triples = [
            (item, old_by_uuid.get(item.get("uuid"), {}), f"{key.name}[{i}]")
            for i, item in enumerate(new)
        ]
    else:
        triples = [(new, old or {}, key.name)]
    for item, previous, where in triples:
        for fname in key.secret:
            if crypto.is_masked(item.get(fname)):
                item[fname] = reuse_secret(key, item, previous, fname, where)
            else:
                item[fname] = crypto.encrypt(item[fname])
    return new


def _check_bound_secrets(cleaned: dict[str, Any], stored: dict[str, Any]) -> None:
    """A WHOLE_VALUE secret bound to other keys (a signing secret and its URL)
    must come with a changed destination, not be kept masked."""
    for key in REGISTRY.values():
        if key.secret != WHOLE_VALUE or not key.bound_to:
            continue
        moved = [
            n
            for n in key.bound_to
            if n in cleaned
            and cleaned[n]
            and cleaned[n] != stored.get(n, REGISTRY[n].default)
        ]
        kept = key.name not in cleaned or crypto.is_masked(cleaned[key.name])
        if moved and stored.get(key.name) and kept:
            raise SettingsError(
                key.name,
                f"enter it again: {', '.join(moved)} changed, and a stored secret "
                "is only reused for the destination it was entered for",
            )


def validate_changes(changes: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(changes, dict):
        raise SettingsError("settings", "must be a JSON object of keys and values")
    cleaned = {}
    for name, value in changes.items():
        key = REGISTRY.get(name)
        if key is None:
            raise SettingsError(name, "unknown settings key")
        cleaned[name] = key.validate(name, value)
    return cleaned


def _same_line_endings(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def _masked(key: Key, value: Any) -> Any:
    return _map_secrets(key, copy.deepcopy(value), crypto.mask)


@transaction.atomic
def update_settings(changes: dict[str, Any], *, actor: str | None = None) -> list[str]:
    """Validate and store any subset of keys, all or nothing. Returns changed keys.

    Each changed key is recorded in the audit log (SettingsChange) under `actor`
    (None: stmails itself, SettingsChange.SYSTEM), with credentials masked: the
    log must never hold a secret, even encrypted.
    """
    from stmails.models import Setting, SettingsChange

    cleaned = validate_changes(changes)
    bound = {k.name for k in REGISTRY.values() if set(k.bound_to) & set(cleaned)}
    stored = {
        s.key: s.value
        for s in Setting.objects.select_for_update().filter(
            key__in=set(cleaned) | bound
        )
    }
    _check_bound_secrets(cleaned, stored)
    changed = []
    for name, value in cleaned.items():
        key = REGISTRY[name]
        old = stored.get(name, copy.deepcopy(key.default))
        new = _merge_secrets(key, _same_line_endings(value), old)
        if _same_line_endings(old) == new:
            # A browser posts textareas with CRLF: line endings alone are no change.
            new = old
        if new != old or name not in stored:
            Setting.objects.update_or_create(key=name, defaults={"value": new})
            if new != old:
                changed.append(name)
                SettingsChange.objects.create(
                    actor=actor or SettingsChange.SYSTEM,
                    key=name,
                    old_value=_masked(key, old),
                    new_value=_masked(key, new),
                )
    return changed


def secret_values() -> list[str]:
    """Every configured credential, decrypted, for stmails.log_redaction to hide
    from log lines (never to show or send anywhere)."""
    stored = _stored()
    found: list[str] = []
    for key in REGISTRY.values():
        if not key.secret or key.name not in stored:
            continue
        try:
            value = _map_secrets(key, _raw(key, stored), crypto.decrypt)
        except Exception:  # noqa: BLE001, S112 (a value that does not decrypt hides nothing)
            continue
        if key.secret == WHOLE_VALUE:
            found.append(value)
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                found.extend(item.get(f) or "" for f in key.secret)
    return [v for v in found if isinstance(v, str) and v]
