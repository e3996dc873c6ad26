"""Every settings key of the webhooks app (found by stmails.config.discovery).

Provider webhooks (listmonk's names where listmonk has them):

Each provider in the registry registers its own key (Provider.register_settings):
an object `bounce.<slug>` {enabled, <credentials>..., previous_<credential>...},
secrets encrypted and masked. The `previous_*` fields are stmails' second active
secret for rotation: set the new value, keep the old one in previous_* until the
provider sends with the new one, then clear it.

listmonk's flat keys (SES, SendGrid) are registered by their provider classes:
bounce.ses_enabled, bounce.ses_topic_arns (stmails: the TopicArn allow-list),
bounce.ses_accept_next_subscription (stmails: armed by the admin, cleared when a
new topic is accepted), bounce.sendgrid_enabled, bounce.sendgrid_key and
bounce.sendgrid_previous_key (stmails: rotation). Each provider class declares
its keys once (Provider.declared_keys); this module registers them.

bounce.custom_providers: the custom provider's endpoints (their shape:
webhooks/providers/custom_config.py). metrics.* and alerts.*: declared by
monitoring/settings_keys.py.
"""

from __future__ import annotations

from stmails.config import (
    Key,
    register,
)
from webhooks.providers.custom_config import as_custom_providers
from webhooks.providers.registry import PROVIDERS

for _provider in PROVIDERS.values():
    _provider.register_settings()


register(
    Key(
        "bounce.custom_providers",
        [],
        as_custom_providers,
        secret=("secret", "previous_secret"),
        section="bounce_providers",
        label="Custom provider endpoints",
    )
)
