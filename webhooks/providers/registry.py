"""URL slug -> Provider class, for POST /webhooks/service/<slug>.

The settings keys of every provider listed here are registered at start-up
(webhooks/settings_keys.py); the settings page lists them in this order.
"""

from __future__ import annotations

from webhooks.providers.azure import Azure
from webhooks.providers.base import Provider
from webhooks.providers.brevo import Brevo
from webhooks.providers.forwardemail import ForwardEmail
from webhooks.providers.lettermint import Lettermint
from webhooks.providers.mailersend import MailerSend
from webhooks.providers.mailgun import Mailgun
from webhooks.providers.mailjet import Mailjet
from webhooks.providers.mailtrap import Mailtrap
from webhooks.providers.postal import Postal
from webhooks.providers.postmark import Postmark
from webhooks.providers.resend import Resend
from webhooks.providers.sendamatic import Sendamatic
from webhooks.providers.sendgrid import SendGrid
from webhooks.providers.ses import Ses
from webhooks.providers.sparkpost import SparkPost

ORDER: list[type[Provider]] = [
    Ses,
    SendGrid,
    Postmark,
    ForwardEmail,
    Sendamatic,
    Mailgun,
    Resend,
    MailerSend,
    Brevo,
    Mailjet,
    SparkPost,
    Postal,
    Mailtrap,
    Lettermint,
    Azure,
]

PROVIDERS: dict[str, type[Provider]] = {cls.slug: cls for cls in ORDER}


def get_provider(slug: str) -> type[Provider] | None:
    return PROVIDERS.get(slug)
