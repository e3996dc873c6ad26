"""URL slug -> Provider class, for POST /webhooks/service/<slug>.

The settings keys of every provider listed here are registered at start-up
(webhooks/settings_keys.py); the settings page lists them in this order.
"""

from __future__ import annotations

from webhooks.providers.base import Provider
from webhooks.providers.forwardemail import ForwardEmail
from webhooks.providers.postmark import Postmark
from webhooks.providers.sendamatic import Sendamatic
from webhooks.providers.sendgrid import SendGrid
from webhooks.providers.ses import Ses

FIRST_WAVE: list[type[Provider]] = [
    Ses,
    SendGrid,
    Postmark,
    ForwardEmail,
    Sendamatic,
]

# --- second wave (helper K): import your classes above and list them here ----
from webhooks.providers.azure import Azure  # noqa: E402
from webhooks.providers.brevo import Brevo  # noqa: E402
from webhooks.providers.lettermint import Lettermint  # noqa: E402
from webhooks.providers.mailersend import MailerSend  # noqa: E402
from webhooks.providers.mailgun import Mailgun  # noqa: E402
from webhooks.providers.mailjet import Mailjet  # noqa: E402
from webhooks.providers.mailtrap import Mailtrap  # noqa: E402
from webhooks.providers.postal import Postal  # noqa: E402
from webhooks.providers.resend import Resend  # noqa: E402
from webhooks.providers.sparkpost import SparkPost  # noqa: E402

SECOND_WAVE: list[type[Provider]] = [
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
# --- end of second wave --------------------------------------------------------

PROVIDERS: dict[str, type[Provider]] = {
    cls.slug: cls for cls in (*FIRST_WAVE, *SECOND_WAVE)
}


def get_provider(slug: str) -> type[Provider] | None:
    return PROVIDERS.get(slug)
