"""The shape of bounce.mailboxes (declared in bounces/settings_keys.py): listmonk's
list of bounce mailboxes, plus stmails' own fields.

listmonk's fields: uuid, enabled, type ("pop" | "imap"), host, port,
auth_protocol ("userpass" | "none"), username, password (secret),
return_path, scan_interval ("15m", at least 1m), tls_enabled, tls_skip_verify.
stmails adds: name, tls_type (none | STARTTLS | TLS), folder (IMAP),
after_bounce (delete | move | flag_seen), processed_folder, non_bounce
(leave | move) and non_bounce_folder. Messages that are not bounces are never
deleted.

tls_enabled is kept in step with tls_type for listmonk's clients: when an item
has no tls_type it is derived from tls_enabled (true: TLS); when the two
disagree, tls_enabled decides between "none" and "TLS" (a listmonk client only
knows that switch).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from stmails.config import (
    SettingsError,
    as_bool,
    as_choice,
    as_host,
    as_int,
    as_str,
    as_uuid,
)

MAILBOX_DEFAULTS: dict[str, Any] = {
    "uuid": "",
    "enabled": True,
    "name": "",
    "type": "pop",
    "host": "",
    "port": 995,
    "auth_protocol": "userpass",
    "username": "",
    "password": "",
    "return_path": "",
    "scan_interval": "15m",
    "tls_type": "TLS",
    "tls_enabled": True,
    "tls_skip_verify": False,
    "folder": "INBOX",
    "after_bounce": "delete",
    "processed_folder": "Processed",
    "non_bounce": "leave",
    "non_bounce_folder": "Not bounces",
}
INTERVAL = re.compile(r"(\d+)(s|m|h)")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
# What the stored password is tied to (see stmails.config.Key.bound_to).
MAILBOX_DESTINATION = (
    "type", "host", "port", "username", "tls_type", "tls_skip_verify",
)  # fmt: skip
# A mailbox's protocol; its bounces are recorded with it as their source.
MAILBOX_TYPES = ("pop", "imap")

_FIELDS = {
    "uuid": as_uuid,
    "enabled": as_bool,
    "name": as_str(200),
    "type": as_choice(*MAILBOX_TYPES),
    "host": as_host,
    "port": as_int(1, 65535),
    "auth_protocol": as_choice("userpass", "none"),
    "username": as_str(255),
    "password": as_str(500),
    "return_path": as_str(320),
    "tls_skip_verify": as_bool,
    "folder": as_str(200, required=True),
    "after_bounce": as_choice("delete", "move", "flag_seen"),
    "processed_folder": as_str(200),
    "non_bounce": as_choice("leave", "move"),
    "non_bounce_folder": as_str(200),
}


def interval_seconds(value: str) -> int:
    """ "15m" -> 900 (a validated scan_interval)."""
    m = INTERVAL.fullmatch(value)
    if not m:
        raise ValueError(value)
    return int(m.group(1)) * UNIT_SECONDS[m.group(2)]


def as_interval(name: str, value: Any) -> str:
    value = as_str(20, required=True)(name, value)
    try:
        seconds = interval_seconds(value)
    except ValueError:
        raise SettingsError(name, 'must be a duration such as "15m" or "1h"') from None
    if seconds < 60:
        raise SettingsError(name, "must be at least 1m")
    if seconds > timedelta(days=7).total_seconds():
        raise SettingsError(name, "must be at most 168h")
    return value


def _tls(name: str, value: dict) -> tuple[str, bool]:
    enabled = value.get("tls_enabled")
    if enabled is not None:
        as_bool(f"{name}.tls_enabled", enabled)
    if "tls_type" not in value:
        tls_type = "TLS" if enabled in (True, None) else "none"
        return tls_type, tls_type != "none"
    tls_type = as_choice("none", "STARTTLS", "TLS")(
        f"{name}.tls_type", value["tls_type"]
    )
    if enabled is not None and enabled != (tls_type != "none"):
        tls_type = "TLS" if enabled else "none"
    return tls_type, tls_type != "none"


def as_mailbox(name: str, value: Any) -> dict:
    if not isinstance(value, dict):
        raise SettingsError(name, "must be a JSON object (one mailbox)")
    known = set(_FIELDS) | {"tls_type", "tls_enabled", "scan_interval"}
    unknown = set(value) - known
    if unknown:
        raise SettingsError(f"{name}.{sorted(unknown)[0]}", "unknown field")
    out: dict[str, Any] = {}
    for fname, check in _FIELDS.items():
        out[fname] = check(f"{name}.{fname}", value.get(fname, MAILBOX_DEFAULTS[fname]))
    out["scan_interval"] = as_interval(
        f"{name}.scan_interval", value.get("scan_interval", "15m")
    )
    out["tls_type"], out["tls_enabled"] = _tls(name, value)
    if out["auth_protocol"] == "userpass" and not out["username"]:
        raise SettingsError(f"{name}.username", "is required with userpass")
    if out["type"] == "pop":
        # POP3 has one mailbox and no folders or flags.
        out["folder"] = "INBOX"
        for fname, bad in (
            ("after_bounce", ("move", "flag_seen")),
            ("non_bounce", ("move",)),
        ):
            if out[fname] in bad:
                raise SettingsError(f"{name}.{fname}", f"{out[fname]} needs IMAP")
    if out["after_bounce"] == "move" and not out["processed_folder"]:
        raise SettingsError(f"{name}.processed_folder", "is required to move bounces")
    if out["non_bounce"] == "move" and not out["non_bounce_folder"]:
        raise SettingsError(f"{name}.non_bounce_folder", "is required to move them")
    if not out["name"]:
        out["name"] = f"{out['username'] or out['type']}@{out['host']}"
    return out


def as_mailboxes(name: str, value: Any) -> list:
    if not isinstance(value, list):
        raise SettingsError(name, "must be a JSON list")
    if len(value) > 50:
        raise SettingsError(name, "at most 50 entries")
    boxes = [as_mailbox(f"{name}[{i}]", v) for i, v in enumerate(value)]
    seen: set[str] = set()
    for i, box in enumerate(boxes):
        for fname in ("uuid", "name"):
            ident = f"{fname}:{box[fname].lower()}"
            if ident in seen:
                raise SettingsError(
                    f"{name}[{i}].{fname}", "is used by another mailbox"
                )
            seen.add(ident)
    return boxes
