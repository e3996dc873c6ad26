"""Every settings key of the bounces app (found by stmails.config.discovery).

- Settings → Bounces: listmonk's bounce.enabled, bounce.webhooks_enabled,
  bounce.actions;
- bounce.mailboxes: listmonk's list of bounce mailboxes (its shape and
  validators: bounces/mailboxes/validation.py);
- probe.* and deliverability.*: declared by monitoring/settings_keys.py.
"""

from __future__ import annotations

from typing import Any

from bounces.mailboxes.validation import MAILBOX_DESTINATION, as_mailboxes
from stmails.config import (
    Key,
    SettingsError,
    as_bool,
    as_choice,
    as_int,
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
