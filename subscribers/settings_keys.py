"""The double opt-in confirmation mail's editable template (Settings → General).

Placeholders: {name} (the subscriber's name), {confirm_url} (the signed,
expiring link) and {lists} (the names of the lists awaiting confirmation).
Anything else in braces is left as it is, so a stray brace never breaks a mail.
"""

from __future__ import annotations

from typing import Any

from stmails.config import Key, SettingsError, as_str, register

PLACEHOLDERS = ("{name}", "{confirm_url}", "{lists}")
DEFAULT_SUBJECT = "Confirm your subscription"
DEFAULT_BODY = """Hello {name},

please confirm your subscription to: {lists}

Open this link and press the button to confirm:
{confirm_url}

The link works for 7 days. If you did not ask to subscribe, ignore this mail:
you will not be subscribed."""


# An empty subject or text (a cleared field) means the default again.


def as_optin_subject(name: str, value: Any) -> str:
    value = as_str(300)(name, value) or DEFAULT_SUBJECT
    if "\n" in value or "\r" in value:
        raise SettingsError(name, "must be one line")
    return value


def as_optin_body(name: str, value: Any) -> str:
    value = as_str(20_000)(name, value) or DEFAULT_BODY
    if "{confirm_url}" not in value:
        raise SettingsError(name, "must contain {confirm_url}, the confirmation link")
    return value


register(
    Key(
        "app.optin_subject",
        DEFAULT_SUBJECT,
        as_optin_subject,
        label="Confirmation mail subject",
        help="Placeholders: {name}, {lists}. Empty: the default.",
    )
)
register(
    Key(
        "app.optin_body",
        DEFAULT_BODY,
        as_optin_body,
        label="Confirmation mail text",
        help="Plain text. Placeholders: {name}, {confirm_url} (required), {lists}."
        " Empty: the default.",
        extra={"textarea": True},
    )
)
