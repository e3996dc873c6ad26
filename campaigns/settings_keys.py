"""Settings → Performance: listmonk's sending limits (names and defaults)."""

from __future__ import annotations

import re

from stmails.config import (
    Key,
    SettingsError,
    as_bool,
    as_int,
    register,
    register_summary,
)
from stmails.settings_keys import as_duration

SECTION = "performance"

register(
    Key(
        "app.message_rate",
        10,
        as_int(1, 100000),
        section=SECTION,
        label="Message rate",
        help="Messages per second per connection: all campaigns together send "
        "at most concurrency × this rate per second, whatever the number of "
        "worker processes.",
    )
)
register(
    Key(
        "app.concurrency",
        10,
        as_int(1, 1000),
        section=SECTION,
        label="Concurrency",
        help="SMTP connections a campaign uses at most (also capped by each "
        "server's max_conns); multiplies the message rate.",
    )
)
register(
    Key(
        "app.message_sliding_window",
        False,
        as_bool,
        section=SECTION,
        label="Enable sliding window limit",
    )
)
register(
    Key(
        "app.message_sliding_window_duration",
        "1h",
        as_duration,
        section=SECTION,
        label="Sliding window duration",
    )
)
register(
    Key(
        "app.message_sliding_window_rate",
        10000,
        as_int(1, 10_000_000),
        section=SECTION,
        label="Sliding window: maximum messages",
        help="At most this many campaign messages per window duration.",
    )
)
register(
    Key(
        "app.max_send_errors",
        1000,
        as_int(0, 10_000_000),
        section=SECTION,
        label="Maximum send errors",
        help="A campaign pauses itself after this many failed messages (0: never).",
    )
)


def as_percent(name: str, value) -> float:
    """A percentage such as 5 or 0.3; 0 turns that check off."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingsError(name, "must be a number")
    if not 0 <= value <= 100:
        raise SettingsError(name, "must be between 0 and 100")
    return float(value)


# The circuit breaker (campaigns.sending.breaker): a running campaign pauses
# itself while its hard bounce or complaint rate is at or above these.
register(
    Key(
        "campaign.breaker_enabled",
        True,
        as_bool,
        section=SECTION,
        label="Pause campaigns with too many bounces or complaints",
    )
)
register(
    Key(
        "campaign.breaker_min_sent",
        100,
        as_int(1, 10_000_000),
        section=SECTION,
        label="Circuit breaker: judge a campaign after this many messages",
    )
)
register(
    Key(
        "campaign.breaker_hard_bounce_rate",
        5.0,
        as_percent,
        section=SECTION,
        label="Circuit breaker: hard bounce rate (%)",
    )
)
register(
    Key(
        "campaign.breaker_complaint_rate",
        0.3,
        as_percent,
        section=SECTION,
        label="Circuit breaker: complaint rate (%)",
    )
)


def as_domain(name: str, value) -> str:
    """A mail domain such as bounces.example.org, or "" (not set)."""
    if not isinstance(value, str):
        raise SettingsError(name, "must be a string")
    value = value.strip().lower().rstrip(".")
    if value and not _DOMAIN_RE.fullmatch(value):
        raise SettingsError(name, "must be a domain name such as bounces.example.org")
    return value


_DOMAIN_RE = re.compile(
    r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)

# VERP: campaign messages go out with the envelope sender
# bounces+<signed delivery id>@<campaign.verp_domain>, so a bounce names its
# delivery even when the returned message lost every header. The domain's MX
# must deliver bounces+*@ to a bounce mailbox stmails scans.
register(
    Key(
        "campaign.verp_enabled",
        False,
        as_bool,
        section=SECTION,
        label="VERP return path",
        help="Send campaign messages with the envelope sender "
        "bounces+<signed id>@<VERP domain>; it wins over a Return-Path header. "
        "Needs the VERP domain.",
    )
)
register(
    Key(
        "campaign.verp_domain",
        "",
        as_domain,
        section=SECTION,
        label="VERP domain",
        help="Domain of the VERP return path; its mail must reach a bounce mailbox.",
    )
)


def ceiling(values: dict) -> float:
    """Campaign messages per second in force (listmonk's meaning):
    app.concurrency × app.message_rate, for all campaigns and workers together."""
    return float(values["app.concurrency"]) * float(values["app.message_rate"])


def describe_limits(values: dict) -> str:
    """The Sending page's statement of the ceiling in force."""
    rate = f"{ceiling(values):g}"
    text = (
        f"In force: at most {rate} messages/s in total (concurrency "
        f"{values['app.concurrency']} × rate {values['app.message_rate']}), "
        "shared by all campaigns and worker processes"
    )
    if values["app.message_sliding_window"]:
        return (
            f"{text}, and the sliding window: at most "
            f"{values['app.message_sliding_window_rate']} per "
            f"{values['app.message_sliding_window_duration']}."
        )
    return f"{text}; sliding window off."


register_summary(SECTION, describe_limits)


# Tracking (campaigns.tracking), listmonk's privacy keys and defaults.
register(
    Key(
        "privacy.disable_tracking",
        False,
        as_bool,
        section="privacy",
        label="Disable tracking",
        help="Mail goes out without the view pixel and with links as they are "
        "({{ TrackView }} renders nothing, {{ TrackLink }} leaves the URL). "
        "Links in mail already sent still redirect, but nothing is recorded.",
    )
)
register(
    Key(
        "privacy.individual_tracking",
        False,
        as_bool,
        section="privacy",
        label="Individual subscriber tracking",
        help="Record which subscriber viewed or clicked. Off: views and clicks "
        "are counted without any subscriber (and counts are not unique per "
        "subscriber).",
    )
)
