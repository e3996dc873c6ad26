"""Settings → Alerts: the thresholds of the alert rules and where alerts go.

A threshold of 0 switches its rule off. Served at /settings/alerts by the
generic section page; monitoring/alerts/rules.py reads every `alerts.*` key.
"""

from __future__ import annotations

import math
from typing import Any

from stmails.config import (
    WHOLE_VALUE,
    Key,
    SettingsError,
    Validator,
    as_bool,
    as_email_address,
    as_int,
    as_list_of,
    as_str,
    as_url,
    register,
)

SECTION = "alerts"


def as_float(minimum: float, maximum: float) -> Validator:
    def check(name: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(name, "must be a number")
        if not math.isfinite(value) or not minimum <= value <= maximum:
            raise SettingsError(name, f"must be between {minimum:g} and {maximum:g}")
        return float(value)

    return check


def as_optional_url(name: str, value: Any) -> str:
    from django.conf import settings

    from stmails.lib import destinations

    if isinstance(value, str) and not value.strip():
        return ""
    value = as_url(name, value)
    # Names are checked again on each POST, after resolving.
    refused = destinations.refused_literal(
        value, settings.STMAILS_ALLOWED_PRIVATE_HOSTS
    )
    if refused:
        raise SettingsError(name, f"not allowed: {refused}")
    return value


def _key(name: str, default: Any, validate: Validator, label: str, help: str, **kw):
    register(
        Key(
            f"alerts.{name}",
            default,
            validate,
            section=SECTION,
            label=label,
            help=help,
            **kw,
        )
    )


_key(
    "enabled",
    True,
    as_bool,
    "Alerts enabled",
    "Check the rules below every minute and notify on a new or resolved incident.",
)
_key(
    "campaign_bounce_rate",
    5.0,
    as_float(0, 100),
    "Campaign bounce rate over (%)",
    "Addresses with a hard bounce per mail sent, for campaigns sending or "
    "finished in the last 7 days. 0 = off.",
)
_key(
    "campaign_complaint_rate",
    0.3,
    as_float(0, 100),
    "Campaign complaint rate over (%)",
    "Addresses that complained per mail sent (same campaigns). 0 = off.",
)
_key(
    "min_campaign_sent",
    100,
    as_int(1, 10_000_000),
    "Judge campaigns from (mails sent)",
    "Rates count once a campaign has sent this many; a provider's silence "
    "once this many campaign mails went out while it was silent.",
)
_key(
    "mailbox_failed_scans",
    3,
    as_int(0, 1000),
    "Bounce mailbox failing scans in a row",
    "An enabled bounce mailbox whose last N scans all failed. 0 = off.",
)
_key(
    "provider_silent_hours",
    24,
    as_int(0, 24 * 90),
    "Provider silent for (hours)",
    "An enabled webhook provider that has sent events before and none in "
    "this many hours, while campaign mail went out. 0 = off.",
)
_key(
    "queue_stuck_minutes",
    15,
    as_int(0, 7 * 24 * 60),
    "Mail stuck in the queue for (minutes)",
    "The oldest unsent mail of the outgoing queue is older than this. 0 = off.",
)
_key(
    "unmatched_per_hour",
    20,
    as_int(0, 10_000_000),
    "Unmatched bounces per hour over",
    "More unmatched bounces in the last hour than this, and more than 3 times "
    "the hourly average of the 24 hours before. 0 = off.",
)
_key(
    "emails",
    [],
    as_list_of(as_email_address, max_items=50),
    "Send alerts to",
    'JSON list, e.g. ["ops@example.com"]. Empty: every admin with an email address.',
)
_key(
    "webhook_url",
    "",
    as_optional_url,
    "Also POST alerts to (URL)",
    "Optional: a JSON POST per opened and resolved incident, retried on failure.",
    outbound_url=True,
)
_key(
    "webhook_secret",
    "",
    as_str(200),
    "Webhook signing secret",
    "Optional: signs each POST (X-Stmails-Signature: sha256=HMAC of the body).",
    secret=WHOLE_VALUE,
    bound_to=("alerts.webhook_url",),
)
