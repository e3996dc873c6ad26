"""Tracking tables (listmonk's links, campaign_views and link_clicks, plus the
raw hits the endpoints write).

subscriber_id is a plain integer, never a foreign key, as in Delivery: deleting
a subscriber keeps the campaign's counts. It is null when
privacy.individual_tracking is off. No table holds an IP address or a user
agent beyond the raw hit, which lives until the next fold (seconds).
"""

from __future__ import annotations

import uuid

from django.db import models


class Link(models.Model):
    """A URL that went out in a tracked mail. The redirect endpoint only sends
    people to URLs registered here, so it is no open redirect."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    url = models.TextField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "links"

    def __str__(self) -> str:
        return self.url


class BotReason(models.TextChoices):
    """Why a hit is not counted as a person by default ("" = a person)."""

    NONE = "", "person"
    USER_AGENT = "user_agent", "known proxy or scanner"
    APPLE_MPP = "apple_mpp", "Apple Mail Privacy Protection"
    TOO_SOON = "too_soon", "within seconds of sending"
    EVERY_LINK = "every_link", "every link within seconds"


class CountedHit(models.Model):
    """What a view and a click share once folded: who (null when individual
    tracking is off), whether a person, and when."""

    subscriber_id = models.BigIntegerField(null=True, blank=True)
    is_bot = models.BooleanField(default=False)
    bot_reason = models.CharField(
        max_length=20, choices=BotReason.choices, blank=True, default=""
    )
    created_at = models.DateTimeField()

    class Meta:
        abstract = True


class CampaignView(CountedHit):
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="views_rows"
    )

    class Meta:
        db_table = "campaign_views"
        indexes = [
            models.Index(fields=["campaign", "created_at"], name="views_campaign_at"),
            models.Index(fields=["campaign", "is_bot"], name="views_campaign_bot"),
        ]

    def __str__(self) -> str:
        return f"view {self.campaign_id}:{self.subscriber_id}"


class LinkClick(CountedHit):
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="click_rows",
    )
    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="clicks")

    class Meta:
        db_table = "link_clicks"
        indexes = [
            models.Index(fields=["campaign", "created_at"], name="clicks_campaign_at"),
            models.Index(fields=["campaign", "is_bot"], name="clicks_campaign_bot"),
        ]

    def __str__(self) -> str:
        return f"click {self.campaign_id}:{self.link_id}"


class TrackingHit(models.Model):
    """One request to a tracking endpoint, as it came (store first, count
    later): written with one INSERT, folded and deleted by fold_hits.

    The uuids are kept as they came, unchecked: the fold resolves them (an
    unknown one records the hit without it). subscriber_uuid serves the bot
    rules (a click seconds after that subscriber's message went out, every
    link clicked at once); with `individual` off the fold uses it for them
    only and stores the view or click without a subscriber. ip_net is the
    network (/24 or /48), never the full address.
    """

    class Kind(models.TextChoices):
        VIEW = "view"
        CLICK = "click"

    kind = models.CharField(max_length=5, choices=Kind.choices)
    link_id = models.BigIntegerField(null=True, blank=True)
    campaign_uuid = models.UUIDField()
    subscriber_uuid = models.UUIDField(null=True, blank=True)
    # Whether the subscriber may be stored with the view/click (the setting
    # at the time of the hit, not of the fold).
    individual = models.BooleanField(default=False)
    ip_net = models.CharField(max_length=50, blank=True, default="")
    user_agent = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "tracking_hits"

    def __str__(self) -> str:
        return f"{self.kind} {self.campaign_uuid}"
