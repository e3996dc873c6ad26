"""Every settings key of the bounces app (found by stmails.config.discovery).

- Settings → Bounces: listmonk's bounce.enabled, bounce.webhooks_enabled,
  bounce.actions;
- bounce.mailboxes: listmonk's list of bounce mailboxes (its shape and
  validators: bounces/mailboxes/validation.py);
- probe.*: the scheduled self-test (Settings → Self-test, bounces/probe.py).
  probe.mailbox names an entry of bounce.mailboxes by its uuid rather than
  holding a second copy of host and password: the credentials stay in one place
  (and encrypted there). The entry may be disabled: the bounce scanner then
  leaves it alone, and the self-test still reads it;
- deliverability.*: the deliverability check's DKIM selectors and extra domains.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from bounces.mailboxes.validation import MAILBOX_DESTINATION, as_mailboxes
from campaigns.settings_keys import as_domain
from stmails.config import (
    Key,
    SettingsError,
    as_bool,
    as_choice,
    as_int,
    as_list_of,
    as_str,
    register,
)

ACTIONS = ("none", "unsubscribe", "blocklist", "delete")
TYPES = ("soft", "hard", "complaint")
DEFAULT_ACTIONS = {
    "soft": {"count": 2, "action": "none", "window_days": 0},
    "hard": {"count": 1, "action": "blocklist", "window_days": 0},
    "complaint": {"count": 1, "action": "blocklist", "window_days": 0},
}

_count = as_int(1, 1000)
_window = as_int(0, 3650)
_action = as_choice(*ACTIONS)


def as_actions(name: str, value: Any) -> dict:
    """listmonk's shape, plus an optional window_days per type (0 = all time)."""
    if not isinstance(value, dict):
        raise SettingsError(
            name, 'must be an object such as {"soft": {"count": 2, ...}}'
        )
    unknown = set(value) - set(TYPES)
    if unknown:
        raise SettingsError(f"{name}.{sorted(unknown)[0]}", "unknown bounce type")
    out = {}
    for btype in TYPES:
        rule = value.get(btype, DEFAULT_ACTIONS[btype])
        if not isinstance(rule, dict):
            raise SettingsError(
                f"{name}.{btype}", "must be an object with count and action"
            )
        extra = set(rule) - {"count", "action", "window_days"}
        if extra:
            raise SettingsError(f"{name}.{btype}.{sorted(extra)[0]}", "unknown field")
        out[btype] = {
            "count": _count(
                f"{name}.{btype}.count",
                rule.get("count", DEFAULT_ACTIONS[btype]["count"]),
            ),
            "action": _action(
                f"{name}.{btype}.action",
                rule.get("action", DEFAULT_ACTIONS[btype]["action"]),
            ),
            "window_days": _window(
                f"{name}.{btype}.window_days", rule.get("window_days", 0)
            ),
        }
    return out


register(
    Key(
        "bounce.enabled",
        False,
        as_bool,
        section="bounces",
        label="Enable bounce processing",
    )
)
register(
    Key(
        "bounce.webhooks_enabled",
        False,
        as_bool,
        section="bounces",
        label="Enable bounce webhooks (POST /webhooks/bounce)",
    )
)
register(
    Key(
        "bounce.actions",
        DEFAULT_ACTIONS,
        as_actions,
        section="bounces",
        label="Actions",
    )
)

# --- bounce mailboxes ------------------------------------------------------------

register(
    Key(
        "bounce.mailboxes",
        [],
        as_mailboxes,
        secret=("password",),
        bound_to=MAILBOX_DESTINATION,
        section="bounce_mailboxes",
        label="Bounce mailboxes",
    )
)


# --- the self-test (probe.*) -------------------------------------------------------


def as_probe_address(name: str, value: Any) -> str:
    value = as_str(320)(name, value)
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        raise SettingsError(
            name, "must be an email address such as probe@example.com"
        ) from None
    return value


def as_mailbox_ref(name: str, value: Any) -> str:
    value = as_str(64)(name, value)
    if not value:
        return ""
    try:
        return str(uuidlib.UUID(value))
    except ValueError:
        raise SettingsError(name, "must be the uuid of a bounce mailbox") from None


register(
    Key(
        "probe.enabled",
        False,
        as_bool,
        section="probe",
        label="Run the self-test on a schedule",
        help="Subscribe the probe address to a hidden double opt-in list, read the "
        "confirmation mail back and confirm it; a failed run raises an alert.",
    )
)
register(
    Key(
        "probe.interval_hours",
        6,
        as_int(1, 168),
        section="probe",
        label="Every (hours)",
    )
)
register(
    Key(
        "probe.address",
        "",
        as_probe_address,
        section="probe",
        label="Probe address",
        help="An address delivered to the probe mailbox. Without a '+' in it, "
        "each run sends to address+stp<token>: the server must deliver plus "
        "addresses to the same mailbox.",
    )
)
register(
    Key(
        "probe.mailbox",
        "",
        as_mailbox_ref,
        section="probe",
        label="Probe mailbox",
        help="The mailbox (Settings → Bounces → Mailboxes) that receives the "
        "probe address; it may be disabled for bounce scanning.",
    )
)
register(
    Key(
        "probe.wait_minutes",
        15,
        as_int(1, 1440),
        section="probe",
        label="Wait for the mail (minutes)",
        help="A run fails when the mail has not arrived and been checked by then.",
    )
)


# --- deliverability.* --------------------------------------------------------------

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
        section="deliverability",
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
        section="deliverability",
        label="Extra domains",
        help="Domains to check besides the ones stmails sends from.",
    )
)
