"""The settings registry: what a key is (Key), the validators, and `register`.

Each app declares its keys in its one `<app>/settings_keys.py`, which
`stmails.config.discovery` imports for every installed app at startup. The
store (reading, writing, masking) is in `stmails.config`; the docs' reference
page is generated from REGISTRY by `stmails.config.reference`.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured


class SettingsError(Exception):
    """A bad value; `field` names the key (and item field) at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


Validator = Callable[[str, Any], Any]


@dataclass(frozen=True)
class Key:
    name: str
    default: Any
    validate: Validator
    # Secret handling: "value" (the whole value is a secret string), or names of
    # secret fields inside a dict value or inside each item of a list of dicts
    # (items matched by "uuid").
    secret: str | tuple[str, ...] = ()
    # Where the secret is sent. A masked secret sent back is only reused while
    # these are unchanged: item fields (host, port, username, TLS mode) for
    # secrets inside items, other keys' names for a WHOLE_VALUE secret (a
    # signing secret and its URL). Otherwise the secret must be entered again,
    # so nobody can point a stored password at a server of their own.
    bound_to: tuple[str, ...] = ()
    # The value is a URL stmails sends requests to: API users may only change it
    # if the operator allows (settings.STMAILS_API_USERS_SET_URLS).
    outbound_url: bool = False
    section: str = "general"
    label: str = ""
    help: str = ""
    extra: dict = field(default_factory=dict)
    # The default as the settings reference shows it, for a default taken from
    # the environment (the generated page must not depend on the machine).
    default_doc: str = ""


REGISTRY: dict[str, Key] = {}
# Key.secret for a value that is itself one secret string (e.g. a webhook key).
WHOLE_VALUE = "value"


def register(key: Key) -> None:
    """Declare a key: once, in the settings_keys module of the app that owns it."""
    if key.name in REGISTRY:
        raise ImproperlyConfigured(f"settings key {key.name!r} is declared twice")
    REGISTRY[key.name] = key


# A section's one-line statement of what its values mean in force (e.g. the
# Sending page's ceiling), registered by the app that owns the keys: the
# settings page shows it above the form. Takes the current values.
SUMMARIES: dict[str, Callable[[dict[str, Any]], str]] = {}


def register_summary(section: str, summary: Callable[[dict[str, Any]], str]) -> None:
    SUMMARIES[section] = summary


# --- validators ----------------------------------------------------------------


def as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise SettingsError(name, "must be true or false")


def as_str(max_length: int = 500, *, required: bool = False) -> Validator:
    def check(name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise SettingsError(name, "must be a string")
        value = value.strip()
        if required and not value:
            raise SettingsError(name, "is required")
        if len(value) > max_length:
            raise SettingsError(name, f"must be at most {max_length} characters")
        return value

    return check


def as_host(name: str, value: Any) -> str:
    """A host name or address that sockets can look up: IDNA-encodable, at most 255."""
    value = as_str(255, required=True)(name, value)
    try:
        value.encode("idna")
    except UnicodeError:
        raise SettingsError(name, "is not a valid host name") from None
    return value


def as_int(minimum: int, maximum: int) -> Validator:
    def check(name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(name, "must be a whole number")
        if not minimum <= value <= maximum:
            raise SettingsError(name, f"must be between {minimum} and {maximum}")
        return value

    return check


def as_choice(*choices: str) -> Validator:
    def check(name: str, value: Any) -> str:
        if value not in choices:
            raise SettingsError(name, f"must be one of {', '.join(choices)}")
        return value

    return check


def as_url(name: str, value: Any) -> str:
    value = as_str(500, required=True)(name, value)
    if not value.startswith(("http://", "https://")) or "://" == value[-3:]:
        raise SettingsError(name, "must be an http:// or https:// URL")
    return value.rstrip("/")


def as_email_address(name: str, value: Any) -> str:
    from email.headerregistry import Address
    from email.utils import parseaddr

    value = as_str(500, required=True)(name, value)
    _, addr = parseaddr(value)
    try:
        Address(addr_spec=addr)
    except (ValueError, IndexError):
        addr = ""
    if "@" not in addr:
        raise SettingsError(name, "must be an email address such as Name <a@b.com>")
    return value


def as_object(fields: dict[str, Validator], *, defaults: dict) -> Validator:
    """A JSON object with known fields; missing fields take their defaults."""

    def check(name: str, value: Any) -> dict:
        if not isinstance(value, dict):
            raise SettingsError(name, "must be a JSON object")
        unknown = set(value) - set(fields)
        if unknown:
            raise SettingsError(f"{name}.{sorted(unknown)[0]}", "unknown field")
        out = {}
        for fname, fcheck in fields.items():
            out[fname] = fcheck(f"{name}.{fname}", value.get(fname, defaults[fname]))
        return out

    return check


def as_list_of(item: Validator, *, max_items: int = 50) -> Validator:
    def check(name: str, value: Any) -> list:
        if not isinstance(value, list):
            raise SettingsError(name, "must be a JSON list")
        if len(value) > max_items:
            raise SettingsError(name, f"at most {max_items} entries")
        return [item(f"{name}[{i}]", v) for i, v in enumerate(value)]

    return check


def as_uuid(name: str, value: Any) -> str:
    if value in (None, ""):
        return str(uuidlib.uuid4())
    try:
        return str(uuidlib.UUID(str(value)))
    except ValueError:
        raise SettingsError(name, "must be a UUID") from None
