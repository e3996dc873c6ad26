"""Settings for the deliverability check: DKIM selectors and extra domains."""

from __future__ import annotations

import re
from typing import Any

from campaigns.settings_keys import as_domain
from stmails.config import Key, SettingsError, as_list_of, register

SECTION = "deliverability"
# One or more DNS labels; underscores appear in real selectors.
_SELECTOR = re.compile(r"[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63}){0,5}")


def as_selector(name: str, value: Any) -> str:
    """ "s1" (tried on every domain) or "example.com:s1" (that domain only)."""
    if not isinstance(value, str):
        raise SettingsError(name, "must be a string")
    value = value.strip().lower()
    scope, sep, selector = value.rpartition(":")
    if sep and not as_domain(name, scope):
        raise SettingsError(name, 'needs a domain before ":", as in example.com:s1')
    if not _SELECTOR.fullmatch(selector):
        raise SettingsError(
            name, 'must be a DKIM selector such as "s1" or "example.com:s1"'
        )
    return value


def as_required_domain(name: str, value: Any) -> str:
    domain = as_domain(name, value)
    if not domain:
        raise SettingsError(name, "must be a domain name such as example.org")
    return domain


def _unique(check):
    def clean(name: str, value: Any) -> list[str]:
        return list(dict.fromkeys(check(name, value)))

    return clean


register(
    Key(
        "deliverability.dkim_selectors",
        [],
        _unique(as_list_of(as_selector, max_items=50)),
        section=SECTION,
        label="DKIM selectors",
        help='The s= of your DKIM-Signature headers, e.g. ["s1"]; '
        '"example.com:s1" checks s1 on example.com only.',
    )
)
register(
    Key(
        "deliverability.extra_domains",
        [],
        _unique(as_list_of(as_required_domain, max_items=20)),
        section=SECTION,
        label="Extra domains",
        help="Domains to check besides the ones stmails sends from.",
    )
)
