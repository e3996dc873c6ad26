"""probe.*: the scheduled self-test (Settings → Self-test, monitoring/selftest/probe.py).

probe.mailbox names an entry of bounce.mailboxes by its uuid rather than holding
a second copy of host and password: the credentials stay in one place (and
encrypted there). The entry may be disabled: the bounce scanner then leaves it
alone, and the self-test still reads it.
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from stmails.config import Key, SettingsError, as_bool, as_int, as_str, register


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
