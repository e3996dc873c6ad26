"""Every settings key of the core (found by stmails.config.discovery): General,
SMTP and Logging (listmonk's names and defaults)."""

from __future__ import annotations

from django.conf import settings

from stmails.config import (
    Key,
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
)

SMTP_DEFAULTS = {
    "uuid": "",
    "name": "",
    "enabled": True,
    "host": "localhost",
    "port": 25,
    "auth_protocol": "login",
    "username": "",
    "password": "",
    "hello_hostname": "",
    "tls_type": "STARTTLS",
    "tls_skip_verify": False,
    "max_conns": 10,
    "idle_timeout": "15s",
    "wait_timeout": "5s",
    "max_msg_retries": 2,
    "msg_retry_delay": "10ms",
    "email_headers": [],
    # listmonk's routing by From address (stmails.smtp_routing): empty means
    # the server takes mail from any address no other server claims.
    "from_addresses": [],
}


def as_duration(name: str, value) -> str:
    import re

    value = as_str(20, required=True)(name, value)
    if not re.fullmatch(r"\d+(ms|s|m|h)", value):
        raise _err(name, 'must be a duration such as "15s", "5m" or "1h"')
    return value


def as_headers(name: str, value) -> list:
    if not isinstance(value, list):
        raise _err(name, 'must be a list such as [{"Return-Path": "b@example.com"}]')
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not all(
            isinstance(k, str) and k.strip() and isinstance(v, str) and "\n" not in v
            for k, v in item.items()
        ):
            raise _err(f"{name}[{i}]", "must be an object of header names and values")
    return value


def as_retry_delay(name: str, value) -> str:
    """listmonk's msg_retry_delay; empty (a cleared form field) is its 10ms default."""
    if value == "":
        return SMTP_DEFAULTS["msg_retry_delay"]
    return as_duration(name, value)


def as_from_address(name: str, value) -> str:
    """An address (news@example.com) or a domain (example.com, "@example.com")."""
    import re

    value = as_str(320, required=True)(name, value).lower()
    local, at, domain = value.rpartition("@")
    domain = domain.rstrip(".")
    if not re.fullmatch(
        r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}", domain
    ):
        raise _err(name, "must be an address such as news@example.com or a domain")
    if at and local and (any(c.isspace() for c in local) or len(local) > 64):
        raise _err(name, "must be an address such as news@example.com or a domain")
    return f"{local}@{domain}" if local else domain


def _err(name: str, message: str):
    from stmails.config import SettingsError

    return SettingsError(name, message)


# What the stored password is tied to (see config.Key.bound_to).
SMTP_DESTINATION = (
    "host", "port", "username", "auth_protocol", "tls_type", "tls_skip_verify",
)  # fmt: skip

SMTP_SERVER = as_object(
    {
        "uuid": as_uuid,
        "name": as_str(100),
        "enabled": as_bool,
        "host": as_host,
        "port": as_int(1, 65535),
        "auth_protocol": as_choice("login", "plain", "cram", "none"),
        "username": as_str(255),
        "password": as_str(500),
        "hello_hostname": as_str(255),
        "tls_type": as_choice("none", "STARTTLS", "TLS"),
        "tls_skip_verify": as_bool,
        "max_conns": as_int(1, 1000),
        "idle_timeout": as_duration,
        "wait_timeout": as_duration,
        "max_msg_retries": as_int(0, 100),
        "msg_retry_delay": as_retry_delay,
        "email_headers": as_headers,
        "from_addresses": as_list_of(as_from_address, max_items=100),
    },
    defaults=SMTP_DEFAULTS,
)

register(Key("app.site_name", "stmails", as_str(200, required=True), label="Site name"))
register(
    Key(
        "app.root_url",
        settings.ROOT_URL,
        as_url,
        label="Root URL",
        default_doc="`ROOT_URL` from the environment",
    )
)
register(
    Key(
        "app.from_email",
        "stmails <noreply@stmails.example.com>",
        as_email_address,
        label="Default 'From' address",
    )
)
register(
    Key(
        "app.send_optin_confirmation",
        True,
        as_bool,
        label="Enable subscription confirmation (double opt-in)",
    )
)
register(
    Key(
        "app.enable_public_subscription_page",
        True,
        as_bool,
        label="Enable the public subscription page",
    )
)
register(
    Key(
        "app.enable_public_archive",
        False,
        as_bool,
        label="Enable the public campaign archive",
        help="Campaigns marked for the archive are listed at /archive (and "
        "/archive.xml), rendered with their archive template and archive "
        "metadata, never a real subscriber's data.",
    )
)
register(
    Key(
        "app.enable_public_archive_rss_content",
        False,
        as_bool,
        label="Full campaign content in the archive's RSS feed",
    )
)
register(
    Key(
        "smtp",
        [dict(SMTP_DEFAULTS, uuid="00000000-0000-4000-8000-000000000001")],
        as_list_of(SMTP_SERVER, max_items=20),
        secret=("password",),
        bound_to=SMTP_DESTINATION,
        section="smtp",
    )
)

register(
    Key(
        "logging.level",
        settings.LOG_LEVEL if settings.LOG_LEVEL != "CRITICAL" else "ERROR",
        as_choice("DEBUG", "INFO", "WARNING", "ERROR"),
        section="logging",
        label="Log level",
        help="DEBUG adds each bounce's matching steps and provider payloads; "
        "takes effect in every process within a few seconds, no restart.",
        extra={"choices": ["DEBUG", "INFO", "WARNING", "ERROR"]},
        default_doc="`LOG_LEVEL` from the environment (`CRITICAL` counts as `ERROR`)",
    )
)
register(
    Key(
        "logging.json",
        settings.LOG_JSON,
        as_bool,
        section="logging",
        label="JSON log lines",
        help="One JSON object per line (time, level, logger, message and fields), "
        "for log collectors.",
        default_doc="`LOG_JSON` from the environment",
    )
)
