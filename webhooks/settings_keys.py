"""Settings keys of the provider webhooks (listmonk's names where listmonk has them).

Each provider in the registry registers its own key (Provider.register_settings):
an object `bounce.<slug>` {enabled, <credentials>..., previous_<credential>...},
secrets encrypted and masked. The `previous_*` fields are stmails' second active
secret for rotation: set the new value, keep the old one in previous_* until the
provider sends with the new one, then clear it.

listmonk's flat keys (SES, SendGrid) are registered by their provider classes:
bounce.ses_enabled, bounce.ses_topic_arns (stmails: the TopicArn allow-list),
bounce.ses_accept_next_subscription (stmails: armed by the admin, cleared when a
new topic is accepted), bounce.sendgrid_enabled, bounce.sendgrid_key and
bounce.sendgrid_previous_key (stmails: rotation).
"""

from __future__ import annotations

from stmails.config import (
    WHOLE_VALUE,
    Key,
    SettingsError,
    as_list_of,
    as_str,
    register,
)
from webhooks.providers.registry import PROVIDERS

for _provider in PROVIDERS.values():
    _provider.register_settings()


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
