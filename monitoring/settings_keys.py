"""Every settings key of the monitoring app (found by stmails.config.discovery).

- metrics.*: who may read GET /metrics (monitoring/metrics/views.py);
- probe.*: the scheduled self-test (Settings → Self-test,
  monitoring/selftest/probe.py). probe.mailbox names an entry of
  bounce.mailboxes by its uuid rather than holding a second copy of host and
  password: the credentials stay in one place (and encrypted there). The entry
  may be disabled: the bounce scanner then leaves it alone, and the self-test
  still reads it;
- deliverability.*: the deliverability check's DKIM selectors and extra domains;
- alerts.* (Settings → Alerts): the thresholds of the alert rules and who
  gets alert mail (other systems subscribe to the alert.* event webhooks). A
  threshold of 0 switches its rule off. Served at /settings/alerts by the
  generic section page; monitoring/alerts/rules.py reads every key.
"""

from __future__ import annotations

import math
import re
import uuid as uuidlib
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from campaigns.settings_keys import as_domain
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
    register,
)


# GET /metrics (monitoring.metrics.views): open to the allow-listed addresses, or to a
# scraper presenting the bearer token. An empty token turns token access off.
def _as_network(name: str, value: object) -> str:
    import ipaddress

    text = as_str(100, required=True)(name, value)
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise SettingsError(name, "must be an IP address or a CIDR range") from None
    return text


register(
    Key(
        "metrics.token",
        "",
        as_str(200),
        secret=WHOLE_VALUE,
        section="metrics",
        label="Metrics bearer token",
        help="Authorization: Bearer <token> for GET /metrics; empty = off.",
    )
)
register(
    Key(
        "metrics.allowed_ips",
        ["127.0.0.1", "::1"],
        as_list_of(_as_network, max_items=100),
        section="metrics",
        label="Addresses allowed to read /metrics",
        help="IP addresses or CIDR ranges, e.g. 10.0.0.0/8.",
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


# --- alerts.* ----------------------------------------------------------------------


def as_float(minimum: float, maximum: float) -> Validator:
    def check(name: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(name, "must be a number")
        if not math.isfinite(value) or not minimum <= value <= maximum:
            raise SettingsError(name, f"must be between {minimum:g} and {maximum:g}")
        return float(value)

    return check


def _key(name: str, default: Any, validate: Validator, label: str, help: str, **kw):
    register(
        Key(
            f"alerts.{name}",
            default,
            validate,
            section="alerts",
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
