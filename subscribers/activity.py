"""A subscriber's data for GET /api/subscribers/{id}/export and /activity.

Campaign views and link clicks live in tables of the campaigns app, a layer
above this one, so this module cannot read them: the campaigns app registers a
reader with `register_tracking_reader` once its tracking tables exist. Until
then (no reader registered) both lists are empty, in listmonk's shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

from stmails.lib.dates import rfc3339
from subscribers.models import MailingList, Subscriber, Subscription


class Tracking(TypedDict):
    """listmonk's activity shape (queries.sql get-subscriber-activity):
    campaign_views: [{id, uuid, name, subject, view_count, last_viewed_at}],
    link_clicks: [{link_id, url, campaign_id, campaign_uuid, campaign_name,
    campaign_subject, click_count, last_clicked_at}], newest first."""

    campaign_views: list[dict[str, Any]]
    link_clicks: list[dict[str, Any]]


TrackingReader = Callable[[int], Tracking]
_readers: list[TrackingReader] = []


def register_tracking_reader(reader: TrackingReader) -> None:
    """The hook for the campaigns app: `reader(subscriber_id)` returns Tracking."""
    if reader not in _readers:
        _readers.append(reader)


def subscriber_tracking(subscriber_id: int) -> Tracking:
    out: Tracking = {"campaign_views": [], "link_clicks": []}
    for reader in _readers:
        found = reader(subscriber_id)
        out["campaign_views"] += found["campaign_views"]
        out["link_clicks"] += found["link_clicks"]
    return out


def export_subscriber(subscriber: Subscriber) -> dict[str, Any]:
    """listmonk's export (queries.sql export-subscriber-data): the profile as a
    one-element list, subscriptions with private list names hidden, and views
    and clicks summed per campaign and per URL."""
    profile = {
        "id": subscriber.id,
        "uuid": str(subscriber.uuid),
        "email": subscriber.email,
        "name": subscriber.name,
        "attribs": subscriber.attribs,
        "status": subscriber.status,
        "created_at": rfc3339(subscriber.created_at),
        "updated_at": rfc3339(subscriber.updated_at),
    }
    memberships = (
        Subscription.objects.filter(subscriber=subscriber)
        .select_related("list")
        .order_by("list_id")
    )
    subscriptions = [
        {
            "subscription_status": sub.status,
            "name": "Private list"
            if sub.list.type == MailingList.Type.PRIVATE
            else sub.list.name,
            "type": sub.list.type,
            "created_at": rfc3339(sub.created_at),
        }
        for sub in memberships
    ]
    tracking = subscriber_tracking(subscriber.id)
    clicks: dict[str, int] = {}
    for click in tracking["link_clicks"]:
        clicks[click["url"]] = clicks.get(click["url"], 0) + click["click_count"]
    return {
        "profile": [profile],
        "subscriptions": subscriptions,
        "campaign_views": [
            {"campaign": view["subject"], "views": view["view_count"]}
            for view in tracking["campaign_views"]
        ],
        "link_clicks": [{"url": url, "clicks": n} for url, n in clicks.items()],
    }
