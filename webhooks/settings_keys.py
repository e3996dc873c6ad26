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

from webhooks.providers.registry import PROVIDERS

for _provider in PROVIDERS.values():
    _provider.register_settings()
