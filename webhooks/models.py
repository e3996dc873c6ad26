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


# --- alerts (webhooks/alerts/) ---------------------------------------------------


class AlertIncident(models.Model):
    """One stretch of time during which an alert rule's condition held.

    `key` names the condition ("campaign_bounce_rate:42"); a partial unique
    constraint allows one open incident per key, so concurrent evaluations open
    (and notify) it once. Closed incidents stay as history.
    """

    class CloseReason(models.TextChoices):
        RECOVERED = "recovered"
        RULE_OFF = "rule_off", "rule switched off"

    rule = models.CharField(max_length=50)
    key = models.CharField(max_length=200)
    summary = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(
        max_length=20, choices=CloseReason.choices, blank=True, default=""
    )
    # Alert mails are queued in the outbox in the transaction that opens/closes.
    notified_at = models.DateTimeField(null=True, blank=True)
    notified_to = models.JSONField(default=list, blank=True)
    recovery_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "alert_incidents"
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(closed_at__isnull=True),
                name="alert_incident_one_open_per_key",
            )
        ]
        indexes = [
            models.Index(fields=["closed_at", "-opened_at"], name="alert_incident_idx")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({'closed' if self.closed_at else 'open'})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class AlertPost(models.Model):
    """The JSON POST of an incident's opening or recovery, retried until delivered.

    The body is frozen at creation, so every attempt sends the same bytes (the
    receiver deduplicates on `id`); URL and secret are read at each attempt.
    """

    class Event(models.TextChoices):
        OPENED = "opened"
        RECOVERED = "recovered"

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"

    incident = models.ForeignKey(
        AlertIncident, on_delete=models.CASCADE, related_name="posts"
    )
    event = models.CharField(max_length=10, choices=Event.choices)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    payload = models.JSONField(default=dict)
    attempts = models.IntegerField(default=0)
    # While an attempt runs, next_try_at is pushed ahead: that is the claim.
    next_try_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    response_status = models.IntegerField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "alert_posts"
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "event"], name="alert_post_once_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_try_at"], name="alert_post_due_idx")
        ]

    def __str__(self) -> str:
        return f"alert post {self.incident_id} {self.event} ({self.status})"
