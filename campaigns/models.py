from __future__ import annotations

import re
import uuid

from django.db import models
from django.utils import timezone

from subscribers.models import MailingList

# {{ unsubscribe_url }} (Django dialect), {{ UnsubscribeURL }} (listmonk's),
# and the links.unsubscribe spelling; whitespace and filters allowed.
UNSUBSCRIBE_TAG = re.compile(
    r"\{\{-?\s*(?:unsubscribe_url|UnsubscribeURL|links\.unsubscribe)\b"
)


def mentions_unsubscribe(source: str) -> bool:
    return bool(UNSUBSCRIBE_TAG.search(source or ""))


class Template(models.Model):
    """A reusable layout (listmonk's templates table).

    campaign templates wrap a campaign's body where they say
    {{ template "content" . }} (listmonk syntax) or {{ content }} (Django
    syntax); tx templates are whole transactional mails (subject and body);
    campaign_visual holds the visual editor's source in body_source.
    At most one campaign template is the default (a partial unique index).
    """

    class Type(models.TextChoices):
        CAMPAIGN = "campaign"
        CAMPAIGN_VISUAL = "campaign_visual", "Campaign (visual)"
        TX = "tx", "Transactional"

    name = models.CharField(max_length=500)
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.CAMPAIGN)
    subject = models.CharField(max_length=1000, blank=True, default="")
    body = models.TextField(blank=True, default="")
    body_source = models.TextField(null=True, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "templates"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="templates_one_default",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def can_be_default(self) -> bool:
        """Only campaign templates wrap campaigns by default (listmonk's rule)."""
        return self.type == self.Type.CAMPAIGN


class Campaign(models.Model):
    """A campaign: content, target lists and sending progress."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        SCHEDULED = "scheduled"
        RUNNING = "running"
        PAUSED = "paused"
        CANCELLED = "cancelled"
        FINISHED = "finished"

    class ContentType(models.TextChoices):
        RICHTEXT = "richtext", "Rich text"
        HTML = "html", "HTML"
        MARKDOWN = "markdown", "Markdown"
        PLAIN = "plain", "Plain text"

    class Type(models.TextChoices):
        REGULAR = "regular"
        # listmonk's opt-in campaign: to the unconfirmed members of its double
        # opt-in lists, asking them to confirm ({{ OptinURL }}).
        OPTIN = "optin", "Opt-in"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=500)
    subject = models.CharField(max_length=1000, blank=True, default="")
    from_email = models.CharField(max_length=500, blank=True, default="")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.REGULAR)
    content_type = models.CharField(
        max_length=20, choices=ContentType.choices, default=ContentType.RICHTEXT
    )
    body = models.TextField(blank=True, default="")
    altbody = models.TextField(blank=True, default="")
    # listmonk's body_source: the visual editor's source (null for the others).
    body_source = models.TextField(null=True, blank=True)
    # listmonk's messenger; "email" is the only one stmails has.
    messenger = models.CharField(max_length=100, default="email")
    # listmonk's campaign attribs: free JSON for scripts, not used in sending.
    attribs = models.JSONField(default=dict, blank=True)
    # The layout the body is wrapped in (listmonk's template_id); null with a
    # blank template_body means the body goes out as it is.
    template = models.ForeignKey(
        Template,
        on_delete=models.PROTECT,  # deleting a template in use is refused (409)
        null=True,
        blank=True,
        related_name="campaigns",
    )
    # Older campaigns' own wrapper HTML containing {{ content }}; used only
    # when no template is chosen.
    template_body = models.TextField(blank=True, default="")
    headers = models.JSONField(default=list, blank=True)  # [{"Name": "value"}, ...]
    # listmonk's public archive: the campaign shown on /archive, rendered with
    # archive_template and archive_meta (made-up subscriber data, never a real
    # subscriber's) instead of a recipient.
    archive = models.BooleanField(default=False)
    archive_slug = models.CharField(max_length=200, unique=True, null=True, blank=True)
    archive_template = models.ForeignKey(
        Template,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="archive_campaigns",
    )
    archive_meta = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)
    send_at = models.DateTimeField(null=True, blank=True)
    to_send = models.IntegerField(default=0)
    sent = models.IntegerField(default=0)
    # Views and clicks by people (bots excluded), refreshed by the tracking
    # fold (campaigns.tracking.fold) from campaign_views and link_clicks.
    views = models.IntegerField(default=0)
    clicks = models.IntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Why the circuit breaker or an admin paused the campaign.
    paused_reason = models.TextField(blank=True, default="")
    lists = models.ManyToManyField(
        MailingList, through="CampaignList", related_name="campaigns", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "campaigns"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name

    def wrapper_source(self) -> str:
        """The layout the body is rendered in: the chosen template's, else the
        campaign's own older wrapper (blank: the body goes out as it is)."""
        if self.template_id is not None:
            return self.template.body
        return self.template_body

    def has_unsubscribe_link(self) -> bool:
        """Whether the body or its layout places an unsubscribe link (the
        List-Unsubscribe header alone is invisible in most mail clients)."""
        if mentions_unsubscribe(self.body):
            return True
        # Plain-text campaigns go out without their layout (HTML only).
        plain = self.content_type == self.ContentType.PLAIN
        return not plain and mentions_unsubscribe(self.wrapper_source())

    def progress_percent(self) -> int:
        if not self.to_send:
            return 0
        return min(100, round(100 * self.sent / self.to_send))

    def mail_went_out(self) -> bool:
        """Whether deleting this campaign would delete a sending history."""
        return (
            self.status == self.Status.FINISHED
            or self.deliveries.filter(status__in=["sent", "failed"]).exists()
        )

    def send_rate(self) -> float:
        """Messages per second since the campaign started (until it ended)."""
        if not self.started_at or not self.sent:
            return 0.0
        end = self.finished_at or timezone.now()
        seconds = (end - self.started_at).total_seconds()
        return round(self.sent / seconds, 1) if seconds > 0 else 0.0


class CampaignList(models.Model):
    """A campaign's target list; list_name survives the list's deletion."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="campaign_lists"
    )
    list = models.ForeignKey(
        MailingList,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaign_lists",
    )
    list_name = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        db_table = "campaign_lists"

    def __str__(self) -> str:
        return self.list_name


class Delivery(models.Model):
    """One message of a campaign to one subscriber.

    The unique (campaign, subscriber_id) pair is what guarantees no subscriber
    gets a campaign twice, even across worker crashes and restarts.
    subscriber_id is a plain integer, not a foreign key, so deleting a
    subscriber keeps the sending history (and bounce matching) intact.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"
        SKIPPED = "skipped"

    # Indexes are few on purpose: each one is written twice per message
    # (claim, then sent). campaign_id is the first column of two of them.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    subscriber_id = models.BigIntegerField(db_index=True)
    email = models.CharField(max_length=500)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    message_id = models.CharField(max_length=500, blank=True, default="")
    attempts = models.IntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    smtp_code = models.IntegerField(null=True, blank=True)
    permanent = models.BooleanField(default=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "campaign_deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "subscriber_id"],
                name="campaign_delivery_once",
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "status"]),
            # The dashboard's "sent in this period".
            models.Index(fields=["status", "sent_at"], name="delivery_status_sent"),
            # Bounces find their delivery by Message-ID (exact match only).
            models.Index(fields=["message_id"], name="delivery_message_id"),
            # The sender's queue: a campaign's queued rows in id order (keyset
            # chunks). Rows leave it when claimed, so it stays small.
            models.Index(
                fields=["campaign", "id"],
                condition=models.Q(status="queued"),
                name="delivery_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.email}"


class SendGroup(models.Model):
    """Delivery rows claimed together and not all answered yet
    (campaigns.sending.groups). The rows are "sent" from their claim on; a
    group still here after SENDING_TIMEOUT was left by a worker that died
    mid-group, and recover_stalled marks its rows as unconfirmed. A handful of
    rows at any time (one per sending connection): no index but the key."""

    campaign_id = models.BigIntegerField()
    deliveries = models.JSONField()  # [delivery id, ...]
    claimed_at = models.DateTimeField()

    class Meta:
        db_table = "campaign_send_groups"

    def __str__(self) -> str:
        return f"{len(self.deliveries)} rows of campaign {self.campaign_id}"


class SendPace(models.Model):
    """The one row (pk 1) pacing all campaign mail (campaigns.sending.pace).

    Every sending process reserves each message's send time here, in one
    short transaction that serializes them, so the configured rate holds
    across processes and machines, whatever the number of workers.
    """

    next_at = models.FloatField(default=0.0)  # the latest reserved time, Unix seconds
    seq = models.BigIntegerField(default=0)  # send times reserved so far
    # The window SendMoment's rows were kept for (messages); another rate
    # makes them meaningless.
    per_window = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "campaign_send_pace"

    def __str__(self) -> str:
        return f"latest send at {self.next_at:.3f}"


class SendMoment(models.Model):
    """The last send times, one row per window position (seq mod messages per
    window): when the message one window earlier started, then, once the
    server answered, finished."""

    slot = models.PositiveIntegerField(primary_key=True)
    seq = models.BigIntegerField(default=0)  # the message's SendPace.seq
    at = models.FloatField()  # Unix seconds

    class Meta:
        db_table = "campaign_send_moment"

    def __str__(self) -> str:
        return f"{self.slot}: {self.at:.3f}"


# The tracking tables live in their own module; imported here so Django sees them.
from campaigns.tracking.models import (  # noqa: E402, F401
    CampaignView,
    Link,
    LinkClick,
    TrackingHit,
)
