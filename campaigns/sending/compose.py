"""One campaign's messages, recipient by recipient: what is the same for every
recipient (template, links around the tokens, headers, VERP key) is worked
out once per sending run; per recipient only the personal parts are filled.
"""

from __future__ import annotations

from typing import NamedTuple
from uuid import UUID

from django.conf import settings as django_settings

from campaigns.models import Campaign
from campaigns.rendering import Renderer, build_context
from campaigns.sending.message import VERP_SALT, Prepared, sending_domain, verp_sender
from campaigns.tracking.mail_links import Tracker, pending_optin
from stmails.lib import signing
from subscribers.links import SubscriptionLinks, list_unsubscribe_headers
from subscribers.models import MailingList, Subscription

Composed = tuple[str, bytes, str]  # (Message-ID, message bytes, envelope sender)


class _Recipient(NamedTuple):
    uuid: UUID


class Composer:
    def __init__(self, campaign: Campaign, settings: dict, from_email: str):
        self.campaign = campaign
        self.root = settings["app.root_url"]
        self.site_name = settings["app.site_name"]
        self.from_email = from_email
        # VERP on without a domain: the From address's domain receives bounces.
        self.verp_domain = (
            (settings["campaign.verp_domain"] or sending_domain(from_email))
            if settings["campaign.verp_enabled"]
            else None
        )
        self.verp_key = signing.derive_key(django_settings.SECRET_KEY, VERP_SALT)
        self.renderer = Renderer(
            content_type=campaign.content_type, body=campaign.body,
            subject=campaign.subject, altbody=campaign.altbody,
            template_body=campaign.template_body,
            template=campaign.template.body if campaign.template_id else None,
        )  # fmt: skip
        self.lists = list(MailingList.objects.filter(campaign_lists__campaign=campaign))
        # Signed per recipient; the key and the URL around the token once.
        self.links = SubscriptionLinks(self.lists, root=self.root)
        # One per run: it caches the campaign's tracked URLs (one query each).
        self.tracker = Tracker(
            root=self.root, campaign_uuid=str(campaign.uuid),
            tracking=not settings["privacy.disable_tracking"],
        )  # fmt: skip
        self.optin_pending: set[int] = set()
        # Nobody waiting for a confirmation anywhere (the usual case): no
        # opt-in links, and no query per chunk to find whose mail needs one.
        self.optin_links = Subscription.objects.filter(
            status=Subscription.Status.UNCONFIRMED,
            list__optin=MailingList.Optin.DOUBLE,
        ).exists()
        self.message: Prepared | None = None  # per server: its email_headers
        self.campaign_values = {
            "uuid": str(campaign.uuid), "name": campaign.name,
            "subject": campaign.subject, "from_email": from_email,
        }  # fmt: skip

    def chunk_subscribers(self, found: dict[int, dict]) -> None:
        """The next recipients (id -> row): whose mail carries an opt-in link."""
        if self.optin_links:
            self.optin_pending = pending_optin(found)

    def compose(
        self, delivery_id: int, email: str, sub: dict, server: dict | None
    ) -> Composed:
        """(Message-ID, message bytes, envelope sender) for one subscriber."""
        # Links need only the uuid: no model instance per recipient.
        subscriber = _Recipient(sub["uuid"])
        unsubscribe = self.links.unsubscribe(subscriber)
        optin = (
            self.links.confirm(subscriber) if sub["id"] in self.optin_pending else ""
        )
        links = self.tracker.links_for(
            str(sub["uuid"]), unsubscribe=unsubscribe, optin=optin
        )
        rendered = self.renderer.render(
            build_context(
                sub,
                self.campaign_values,
                unsubscribe,
                links=links,
                site_name=self.site_name,
            )  # fmt: skip
        )
        if self.message is None or self.message.server is not server:
            self.message = Prepared(
                self.from_email, str(self.campaign.uuid),
                list(self.campaign.headers or []), server,
            )  # fmt: skip
        message_id = self.message.new_message_id()
        data, sender = self.message.build(
            to_email=email, to_name=sub["name"], subject=rendered.subject,
            text=rendered.text, html=rendered.html, message_id=message_id,
            subscriber_uuid=str(sub["uuid"]),
            unsubscribe_headers=list_unsubscribe_headers(subscriber, url=unsubscribe),
        )  # fmt: skip
        if self.verp_domain:  # wins over a Return-Path header
            sender = verp_sender(delivery_id, self.verp_domain, self.verp_key)
        return message_id, data, sender
