"""Double opt-in pieces for pages outside the subscription flow:

{% load optin_tags %}
{% optin_warning %}              dashboard: confirmations are off, double lists exist
{% optin_warning mlist %}        a double opt-in list's page: the same warning
{% subscription_snippet mlist %} a public list's page: an embeddable HTML form
{% optin_resend subscriber %}    subscriber page: "Send opt-in confirmation"
"""

from __future__ import annotations

from django import template
from django.urls import reverse

from stmails import config
from stmails.models import OutgoingMail
from subscribers.models import MailingList, Subscriber
from subscribers.subscription import confirmation
from subscribers.subscription.views import HONEYPOT

register = template.Library()


@register.inclusion_tag("subscribers/_optin_warning.html")
def optin_warning(mlist: MailingList | None = None) -> dict:
    lists = confirmation.double_optin_without_confirmations()
    if mlist is not None:
        lists = [lst for lst in lists if lst.pk == mlist.pk]
    return {"lists": lists, "single": mlist is not None}


@register.inclusion_tag("subscribers/_subscription_snippet.html")
def subscription_snippet(mlist: MailingList) -> dict:
    if not mlist.is_offered_publicly:
        return {"show": False}
    root = config.get_value("app.root_url").rstrip("/")
    return {
        "show": True,
        "mlist": mlist,
        "action": root + reverse("subscription:form"),
        "honeypot": HONEYPOT,
        "page_enabled": config.get_value("app.enable_public_subscription_page"),
    }


@register.inclusion_tag("subscribers/_optin_resend.html", takes_context=True)
def optin_resend(context: template.Context, subscriber: Subscriber) -> dict:
    pending = [s.list for s in confirmation.pending_double_optin(subscriber)]
    return {
        "subscriber": subscriber,
        "pending": pending and not subscriber.is_blocklisted,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("subscribers/_optin_status.html")
def optin_status(subscriber: Subscriber) -> dict:
    """The last confirmation mail's fate, so a silent one is never a mystery."""
    last = (
        OutgoingMail.objects.filter(subscriber_id=subscriber.pk, kind="optin")
        .order_by("-created_at", "-id")
        .first()
    )
    pending = confirmation.pending_double_optin(subscriber).exists()
    return {
        "last": last,
        "pending": pending,
        "confirmations_on": confirmation.confirmations_enabled(),
    }
