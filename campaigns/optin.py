"""Opt-in campaigns (listmonk's campaign type "optin").

An opt-in campaign goes to the unconfirmed members of its double opt-in lists
(campaigns.sending.engine.eligible_subscriptions) and asks them to confirm:
{{ OptinURL }} is each recipient's confirmation link (MailLinks.optin). When
one is created without a body it gets listmonk's default opt-in message.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from subscribers.models import MailingList


def double_optin(lists: Iterable[MailingList]) -> list[MailingList]:
    return [lst for lst in lists if lst.optin == MailingList.Optin.DOUBLE]


def default_body(lists: Iterable[MailingList]) -> str:
    """listmonk's default opt-in campaign message, naming the lists (escaped:
    list names are admin input, the body is HTML)."""
    items = "".join(f"<li>{escape(lst.name)}</li>" for lst in lists)
    return (
        "<p>Hi {{ .Subscriber.FirstName }},</p>\n"
        "<p>You have been added to the following mailing lists:</p>\n"
        f"<ul>{items}</ul>\n"
        "<p>Confirm your subscription by clicking the link below.</p>\n"
        '<p><a href="{{ OptinURL }}">Confirm subscription</a></p>'
    )
