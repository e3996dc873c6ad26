"""A campaign's test send (listmonk's POST /api/campaigns/{id}/test and the
detail page's form): the campaign, with unsaved edits, to existing subscribers,
through the outbox (stmails.outbox.queue_mail, kind "campaign_test").

Every mail carries the campaign's headers and X-Stmails-Subscriber, so a
bounce of it counts against the subscriber. All mails are rendered before the
first is queued, and queued in one transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from campaigns.models import Campaign
from campaigns.rendering import Renderer, build_context
from campaigns.sending.message import CAMPAIGN_HEADER, SUBSCRIBER_HEADER
from campaigns.services import CampaignError, clean_fields
from campaigns.tracking.mail_links import optin_url, pending_optin, tracker
from campaigns.tx import custom_headers, stored_subject
from campaigns.tx_recipients import (
    Recipient,
    clean_email,
    subscriber_context,
    subscribers_by_email,
)
from stmails import config
from stmails.outbox import queue_mail
from subscribers.links import list_unsubscribe_headers, unsubscribe_url
from subscribers.models import MailingList

# Campaign fields a test send may override with unsaved edits (listmonk posts
# the whole campaign form).
TEST_FIELDS = (
    "subject", "from_email", "body", "altbody", "template_body", "headers",
    "content_type", "template_id",
)  # fmt: skip


def parse_addresses(raw: Any) -> list[str]:
    """The "subscribers" of a test send: a list, or a comma-separated string."""
    if isinstance(raw, str):
        raw = [part for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list) or not raw:
        raise CampaignError(
            "subscribers", "give at least one subscriber e-mail address"
        )
    return [clean_email(value, "subscribers") for value in raw]


def send_test(
    campaign: Campaign, emails: list[str], data: dict[str, Any] | None = None
) -> int:
    """Send the campaign, with unsaved edits from `data`, to existing subscribers.

    The mails carry the campaign's headers as a real send does (the subject is
    kept as is), so a test shows exactly what subscribers will get.
    """
    edits = {k: v for k, v in (data or {}).items() if k in TEST_FIELDS}
    fields = {
        "subject": campaign.subject, "from_email": campaign.from_email,
        "body": campaign.body, "altbody": campaign.altbody,
        "template_body": campaign.template_body, "headers": campaign.headers,
        "content_type": campaign.content_type,
    }  # fmt: skip
    fields.update(clean_fields(edits, partial=True))
    layout = campaign.template.body if campaign.template_id else None
    if "template" in fields:  # an unsaved template_id: its layout, or none
        chosen = fields.pop("template")
        layout = chosen.body if chosen else None
    known = subscribers_by_email(emails)
    missing = [e for e in emails if e.lower() not in known]
    if missing:
        raise CampaignError("subscribers", f"{missing[0]} is not a subscriber")
    subscribers = list({e.lower(): known[e.lower()] for e in emails}.values())
    renderer = Renderer(
        content_type=fields["content_type"], body=fields["body"],
        subject=fields["subject"], altbody=fields["altbody"],
        template_body=fields["template_body"],
        template=layout,
    )  # fmt: skip
    lists = list(MailingList.objects.filter(campaign_lists__campaign=campaign))
    settings = config.get_values("app.root_url", "app.site_name")
    root = settings["app.root_url"]
    custom = custom_headers(fields["headers"] or [])
    meta = {
        "uuid": str(campaign.uuid),
        "name": campaign.name,
        "subject": fields["subject"],
    }
    # Tracked as for real, under the dummy subscriber: hits are never recorded.
    track = tracker(str(campaign.uuid), root=root, test=True)
    pending = pending_optin(s.pk for s in subscribers)
    mails = []
    for s in subscribers:
        unsubscribe = unsubscribe_url(s, lists, root=root)
        links = track.links_for(
            str(s.uuid), unsubscribe=unsubscribe, optin=optin_url(s, pending, root)
        )
        rendered = renderer.render(
            build_context(
                subscriber_context(Recipient(s.email, s)),
                meta,
                unsubscribe,
                links=links,
                site_name=settings["app.site_name"],
            )
        )
        headers = {
            CAMPAIGN_HEADER: str(campaign.uuid),
            SUBSCRIBER_HEADER: str(s.uuid),
            **list_unsubscribe_headers(s, lists, root=root),
            **custom,
        }
        mails.append(
            {
                "to": s.email,
                "subject": stored_subject(rendered.subject),
                "text": rendered.text or " ",
                "html": rendered.html,
                "headers": headers,
                "from_email": fields["from_email"] or None,
                "kind": "campaign_test",
                "subscriber_id": s.pk,
                "campaign_id": campaign.pk,
            }
        )
    with transaction.atomic():
        for mail in mails:
            queue_mail(**mail)
    return len(mails)
