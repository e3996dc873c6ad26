"""Monitoring's rows: alert incidents, self-test and round-trip runs.

The tables keep the names they had in webhooks and bounces: the models moved
here without moving data (migrations/0001_initial.py changes the state only).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from stmails.lib.datetime_display import show_datetime


class AlertIncident(models.Model):
    """One stretch of time during which an alert rule's condition held.

    `key` names the condition ("campaign_bounce_rate:42"); a partial unique
    constraint allows one open incident per key, so concurrent evaluations open
    (and notify) it once. Closed incidents stay as history.
    """

    class Event(models.TextChoices):
        """What is notified: the `alert.<event>` event-webhook type and mail tag."""

        OPENED = "opened"
        RECOVERED = "recovered"

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


class ProbeRun(models.Model):
    """One self-test or header round trip (monitoring/selftest/probe.py): its steps and result.

    A run is "running" until a check finds its mail (or its deadline passes);
    one running run per kind (a partial unique constraint) keeps a slow check
    and the next beat from starting a second one. The alerts read the latest
    `kind="selftest"` runs by `started_at`.
    """

    class Kind(models.TextChoices):
        SELFTEST = "selftest"
        ROUND_TRIP = "round_trip"

    class Status(models.TextChoices):
        RUNNING = "running"
        PASSED = "passed"
        FAILED = "failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.RUNNING
    )
    # Random; in the probe address's plus tag or the subject, so a check finds
    # this run's mail among the others in the mailbox.
    token = models.CharField(max_length=32, unique=True)
    address = models.CharField(max_length=320, blank=True, default="")
    mailbox_uuid = models.UUIDField(null=True, blank=True)
    mailbox_name = models.CharField(max_length=200, blank=True, default="")
    # Plain ids: the probe subscriber is deleted after the run, the mail row stays.
    subscriber_id = models.BigIntegerField(null=True, blank=True)
    outgoing_mail_id = models.BigIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    deadline_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    # A check claims the run until then, so two checks never read one mail.
    locked_until = models.DateTimeField(null=True, blank=True)
    waiting_for = models.CharField(max_length=200, blank=True, default="")
    steps = models.JSONField(default=list, blank=True)  # [{name, ok, detail}]
    failed_step = models.CharField(max_length=50, blank=True, default="")
    error = models.TextField(blank=True, default="")
    # Per header: [{name, sent, received, state: intact | changed | missing}].
    headers = models.JSONField(default=list, blank=True)

    class Meta:
        db_table = "bounce_probe_runs"
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(
                fields=["kind", "status", "started_at"], name="bounce_probe_kind_idx"
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(status="running"),
                name="bounce_probe_one_running",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.status} {show_datetime(self.started_at)}"

    @property
    def is_running(self) -> bool:
        return self.status == self.Status.RUNNING

    def step(self, name: str) -> dict | None:
        return next((s for s in self.steps if s.get("name") == name), None)
