"""Shared pieces of the subscription-flow tests: lists, settings, mail look-ups."""

from __future__ import annotations

import re

from stmails.config import update_settings
from stmails.models import OutgoingMail

LINK = re.compile(r"https?://\S+/subscription/optin/\S+")


def confirmations(enabled: bool) -> None:
    update_settings({"app.send_optin_confirmation": enabled})


def optin_mails(email: str | None = None):
    qs = OutgoingMail.objects.filter(kind="optin").order_by("id")
    return qs.filter(to_email=email) if email else qs


def confirm_link(mail: OutgoingMail) -> str:
    match = LINK.search(mail.text)
    assert match, mail.text
    return match.group(0)


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]
