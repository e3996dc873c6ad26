"""Bounce history, action trace and badge for pages outside the bounces app.

The subscriber detail page needs one line each:
    {% load bounce_tags %} ... {% bounce_badge subscriber %} ... {% subscriber_bounces subscriber %}
"""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils.html import format_html

from bounces.models import BounceAction
from stmails.lib.datetime_display import show_datetime
from subscribers.models import Subscriber

register = template.Library()

# The partial shows the newest bounces; the Bounces page, filtered by email, shows all.
HISTORY_LIMIT = 100


@register.inclusion_tag("bounces/_subscriber_bounces.html", takes_context=True)
def subscriber_bounces(context: template.Context, subscriber: Subscriber) -> dict:
    bounces = subscriber.bounces.select_related("campaign").order_by(
        "-created_at", "-id"
    )
    request = context.get("request")
    return {
        "subscriber": subscriber,
        "bounces": bounces[:HISTORY_LIMIT],
        "bounce_total": bounces.count(),
        "history_limit": HISTORY_LIMIT,
        "actions": subscriber.bounce_actions.all(),
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path() if request else "",
    }


def blocklisted_by_bounces(subscriber: Subscriber) -> BounceAction | None:
    """The blocklist action that explains the subscriber's status, if the latest one is."""
    if not subscriber.is_blocklisted:
        return None
    latest = subscriber.bounce_actions.order_by("-created_at", "-id").first()
    if latest is None or latest.action != BounceAction.Action.BLOCKLIST:
        return None
    return latest


@register.simple_tag
def bounce_badge(subscriber: Subscriber) -> str:
    action = blocklisted_by_bounces(subscriber)
    if action is None:
        return ""
    return format_html(
        '<span class="badge blocklisted bounce-badge" title="{}">blocklisted by bounces</span>',
        f"{show_datetime(action.created_at)}: {action.reason}",
    )


@register.filter
def bounce_json(value: Any) -> str:
    """Meta as indented JSON (autoescaped by the template)."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
