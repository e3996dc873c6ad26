"""The provider webhook inbox: every verified event is stored before it is acted on."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class WebhookEvent(models.Model):
    """One recipient's event from a provider, as received (raw) and as normalized.

    Unique on (provider, event_key): a provider's retry or duplicate adds nothing.
    status: received (waiting for the worker), processed (bounce recorded),
    failed (kept with its error, retried), ignored (nothing to record: delays,
    deliveries, unknown subscribers).
    """

    class Status(models.TextChoices):
        RECEIVED = "received"
        PROCESSED = "processed"
        FAILED = "failed"
        IGNORED = "ignored"

    provider = models.CharField(max_length=64)
    event_key = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    # Normalized by the provider's parser (pure), so processing needs no re-parse.
    type = models.CharField(max_length=10)  # hard | soft | complaint | ignored
    email = models.CharField(max_length=320, blank=True, default="")
    message_id = models.CharField(max_length=500, blank=True, default="")
    campaign_uuid = models.CharField(max_length=36, blank=True, default="")
    subscriber_uuid = models.CharField(max_length=36, blank=True, default="")
    occurred_at = models.DateTimeField(null=True, blank=True)
    status_code = models.CharField(max_length=20, blank=True, default="")
    diagnostic = models.TextField(blank=True, default="")
    # The bounce reason (bounces.parsing.reasons), from the provider's codes or text.
    reason = models.CharField(max_length=32, blank=True, default="")
    payload = models.JSONField(default=dict)  # the provider's event, as sent
    headers = models.JSONField(default=dict)  # a safe subset (no credentials)
    received_at = models.DateTimeField(default=timezone.now)
    attempts = models.IntegerField(default=0)
    error = models.TextField(blank=True, default="")
    processed_at = models.DateTimeField(null=True, blank=True)
    # The bounce it became; SET_NULL: deleting bounces keeps the inbox history.
    bounce = models.ForeignKey(
        "bounces.Bounce",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        db_table = "webhook_events"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_key"], name="webhook_events_provider_key"
            )
        ]
        indexes = [
            models.Index(
                fields=["provider", "-received_at"], name="webhook_events_recent_idx"
            ),
            models.Index(
                fields=["status", "received_at"], name="webhook_events_status_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_key} ({self.status})"
