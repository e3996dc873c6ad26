"""The per-recipient URLs of campaign mail (rendering.MailLinks), tracked or not.

A Tracker is made once per campaign run (sender), test send or preview, then
asked for each recipient's links. Tracked links are registered in `links`
(get-or-create) the first time a URL is seen and cached in the tracker, so a
campaign costs one query per distinct URL, not one per message.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable
from functools import partial

from campaigns.rendering import MailLinks
from campaigns.tracking.models import Link
from stmails import config
from subscribers.links import confirm_url
from subscribers.models import MailingList, Subscriber, Subscription

# Test sends and previews (campaigns.tracking.hits.DUMMY): never recorded.
DUMMY_SUBSCRIBER = str(uuidlib.UUID(int=0))
# Longer URLs go out untracked: a unique index entry has a size limit, and
# such URLs are rare enough not to matter for the counts.
MAX_URL = 2000


class Tracker:
    def __init__(
        self, *, root: str, campaign_uuid: str, tracking: bool, test: bool = False
    ):
        self.root = root.rstrip("/")
        self.campaign_uuid = str(campaign_uuid)
        self.tracking = tracking
        self.test = test
        self.link_uuids: dict[str, str] = {}

    def link_uuid(self, url: str) -> str:
        found = self.link_uuids.get(url)
        if found is None:
            link, _ = Link.objects.get_or_create(url=url)
            found = self.link_uuids[url] = str(link.uuid)
        return found

    def track(self, subscriber_uuid: str, url: str) -> str:
        if not url.startswith(("http://", "https://")) or len(url) > MAX_URL:
            return url  # mailto:, anchors, templated leftovers: as they are
        return (
            f"{self.root}/link/{self.link_uuid(url)}/"
            f"{self.campaign_uuid}/{subscriber_uuid}"
        )

    def links_for(
        self, subscriber_uuid: str, *, unsubscribe: str, optin: str = ""
    ) -> MailLinks:
        s = DUMMY_SUBSCRIBER if self.test else str(subscriber_uuid)
        base = f"{self.root}/campaign/{self.campaign_uuid}/{s}"
        return MailLinks(
            unsubscribe=unsubscribe,
            message=base,
            optin=optin,
            view_pixel=f"{base}/px.png" if self.tracking else "",
            track_link=partial(self.track, s) if self.tracking else None,
        )


def tracker(
    campaign_uuid: str, *, root: str | None = None, test: bool = False
) -> Tracker:
    """A tracker honouring privacy.disable_tracking (read once, here)."""
    values = config.get_values("app.root_url", "privacy.disable_tracking")
    return Tracker(
        root=root or values["app.root_url"],
        campaign_uuid=campaign_uuid,
        tracking=not values["privacy.disable_tracking"],
        test=test,
    )


def pending_optin(subscriber_ids: Iterable[int]) -> set[int]:
    """Of these subscribers, those with an unconfirmed double opt-in list
    (their mail's {{ OptinURL }} is their confirmation link): one query."""
    return set(
        Subscription.objects.filter(
            subscriber_id__in=list(subscriber_ids),
            status=Subscription.Status.UNCONFIRMED,
            list__optin=MailingList.Optin.DOUBLE,
        ).values_list("subscriber_id", flat=True)
    )


def optin_url(subscriber: Subscriber, pending: set[int], root: str) -> str:
    return confirm_url(subscriber, root=root) if subscriber.pk in pending else ""
