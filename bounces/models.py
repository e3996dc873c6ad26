from __future__ import annotations

from django.db import models
from django.utils import timezone

from campaigns.models import Campaign
from subscribers.models import Subscriber


class BounceType(models.TextChoices):
    HARD = "hard"
    SOFT = "soft"
    COMPLAINT = "complaint"


class Bounce(models.Model):
    """One bounce or complaint, as reported by a source (api, a mailbox, a provider).

    Every bounce is kept, also past the threshold and for blocklisted subscribers.
    """

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="bounces"
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bounces",
    )
    type = models.CharField(
        max_length=10, choices=BounceType.choices, default=BounceType.HARD
    )
    source = models.CharField(max_length=200, default="", db_index=True)
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The address the source reported (kept even if the subscriber's changes).
    email = models.CharField(max_length=320, blank=True, default="")
    # Idempotency: the same event (provider retry, re-scanned message) is stored once.
    event_key = models.CharField(max_length=255, null=True, blank=True, unique=True)
    provider_message_id = models.CharField(max_length=500, blank=True, default="")
    status_code = models.CharField(max_length=20, blank=True, default="")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "bounces"
        indexes = [
            models.Index(
                fields=["subscriber", "type", "created_at"], name="bounces_sub_type_idx"
            ),
            models.Index(
                fields=["campaign", "created_at"], name="bounces_campaign_idx"
            ),
            models.Index(fields=["type", "created_at"], name="bounces_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} bounce of {self.email or self.subscriber_id}"


class BounceAction(models.Model):
    """The trace of a threshold action: which, when, why (shown on the subscriber page)."""

    class Action(models.TextChoices):
        UNSUBSCRIBE = "unsubscribe"
        BLOCKLIST = "blocklist"
        DELETE = "delete"

    # SET_NULL: the trace of a delete action outlives the subscriber it deleted.
    subscriber = models.ForeignKey(
        Subscriber,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bounce_actions",
    )
    email = models.CharField(max_length=320)
    action = models.CharField(max_length=20, choices=Action.choices)
    bounce_type = models.CharField(max_length=10, choices=BounceType.choices)
    bounce_count = models.IntegerField()
    threshold = models.IntegerField()
    window_days = models.IntegerField(default=0)
    # The newest bounce counted: a later run acts again only on newer bounces, so an
    # admin who lifts a blocklist is not overruled by the periodic re-application.
    last_bounce_id = models.BigIntegerField()
    trigger = models.CharField(max_length=20, default="bounce")  # bounce | reapply
    reason = models.TextField()
    deleted_bounces = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "bounce_actions"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["subscriber", "bounce_type"], name="bounce_actions_sub_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.email}"
