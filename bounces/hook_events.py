"""The bounce.recorded event webhook (stmails.event_hooks.services), one per stored bounce.

Raised by bounces.recording in the transaction that stores a batch, before its
threshold actions (whose subscriber.* events follow). With no endpoint
listening, a batch (a single bounce is a batch of one) costs one small query.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from bounces.models import Bounce
from campaigns.models import Campaign
from stmails.event_hooks import services as event_hooks
from subscribers.models import Subscriber

# A bounce's meta (provider event, DSN fields) is sent when its JSON is at most
# this long; larger ones are left out (the bounce's page shows them).
META_MAX_CHARS = 4000
CHUNK = 500
ONLY = (
    *("id", "type", "source", "email", "status_code", "created_at", "meta"),
    *("subscriber__id", "subscriber__uuid", "subscriber__email", "subscriber__status"),
    *("campaign__id", "campaign__uuid", "campaign__name"),
)


def bounce_data(
    bounce: Bounce, subscriber: Subscriber, campaign: Campaign | None
) -> dict[str, Any]:
    meta = bounce.meta or {}
    small = len(json.dumps(meta, cls=DjangoJSONEncoder)) <= META_MAX_CHARS
    return {
        "id": bounce.id,
        "type": bounce.type,
        "source": bounce.source,
        "email": bounce.email,
        "status_code": bounce.status_code,
        "created_at": bounce.created_at,
        "subscriber": {
            "id": subscriber.id,
            "uuid": str(subscriber.uuid),
            "email": subscriber.email,
            "status": subscriber.status,
        },
        "campaign": (
            {"id": campaign.id, "uuid": str(campaign.uuid), "name": campaign.name}
            if campaign
            else None
        ),
        "meta": meta if small else None,
        "meta_truncated": not small,
    }


def bounces_recorded(bounce_ids: list[int]) -> None:
    """The batch's events: the stored rows are read back only when listened to."""
    hooks = bounce_ids and event_hooks.listeners(event_hooks.BOUNCE_RECORDED)
    if not hooks:
        return
    items = []
    ids = sorted(bounce_ids)
    for start in range(0, len(ids), CHUNK):
        bounces = (
            Bounce.objects.filter(id__in=ids[start : start + CHUNK])
            .select_related("subscriber", "campaign")
            .only(*ONLY)
            .order_by("id")
        )
        items += [bounce_data(b, b.subscriber, b.campaign) for b in bounces]
    event_hooks.emit(event_hooks.BOUNCE_RECORDED, items, hook_ids=hooks)
