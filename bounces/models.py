from __future__ import annotations

from datetime import datetime, timedelta

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
    # Why it bounced, in Sisimai's vocabulary (bounces.parsing.reasons.REASONS);
    # "" for bounces recorded before reasons existed.
    reason = models.CharField(max_length=32, blank=True, default="")
    recorded_at = models.DateTimeField(default=timezone.now)
    # The message a mailbox scan found this bounce in (size-capped), for the viewer.
    raw_message = models.ForeignKey(
        "RawMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bounces",
    )

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
            models.Index(fields=["reason", "created_at"], name="bounces_reason_idx"),
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
    # What the action changed, so "undo" on a false bounce can put it back: the
    # subscriber's status before, and {list_id: previous status} of the
    # memberships it unsubscribed.
    previous_status = models.CharField(max_length=20, blank=True, default="")
    changed_subscriptions = models.JSONField(default=dict, blank=True)
    reverted_at = models.DateTimeField(null=True, blank=True)

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


# --- bounce mailboxes ---------------------------------------------------------------


class RawMessage(models.Model):
    """A bounce message as a mailbox delivered it, capped at RAW_CAP bytes.

    Shared by the bounces (one per recipient) and the unmatched entry it produced.
    """

    RAW_CAP = 256 * 1024

    sha256 = models.CharField(max_length=64, unique=True)
    data = models.BinaryField()
    size = models.IntegerField()  # the whole message's size, before the cap
    mailbox_name = models.CharField(max_length=200, blank=True, default="")
    subject = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "bounce_raw_messages"

    def __str__(self) -> str:
        return f"raw message {self.sha256[:12]}"

    @property
    def truncated(self) -> bool:
        return self.size > len(self.data)


class MailboxMessage(models.Model):
    """Memory of one processed mailbox message, so a rescan counts nothing twice.

    `uid` is the POP3 UIDL or "<UIDVALIDITY>:<UID>" for IMAP; the content hash
    catches the same message under a new key (UIDVALIDITY reset, re-delivery).
    `disposed` turns true once the server confirmed the delete, move or flag (or
    when the message is left in place by policy): a crash before that leaves it
    false and the next scan only repeats the disposal.
    """

    class Outcome(models.TextChoices):
        RECORDED = "recorded"
        UNMATCHED = "unmatched"
        NOT_BOUNCE = "not_bounce"
        UNPARSEABLE = "unparseable"

    mailbox_uuid = models.UUIDField()
    uid = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    kind = models.CharField(max_length=20, blank=True, default="")  # parser's kind
    detail = models.TextField(blank=True, default="")
    disposed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "bounce_mailbox_messages"
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox_uuid", "uid"], name="bounce_mailbox_msg_uid_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["mailbox_uuid", "sha256"], name="bounce_mbox_hash_idx")
        ]

    def __str__(self) -> str:
        return f"{self.mailbox_uuid}:{self.uid} {self.outcome}"


class MailboxScan(models.Model):
    """One scan of one mailbox: its progress while running, its result after.

    At most one running scan per mailbox (a partial unique constraint): that row
    is the lock. A scan whose heartbeat went stale (killed worker) is abandoned
    by the next one.
    """

    class Status(models.TextChoices):
        RUNNING = "running"
        FINISHED = "finished"
        FAILED = "failed"
        ABANDONED = "abandoned"

    mailbox_uuid = models.UUIDField(db_index=True)
    mailbox_name = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.RUNNING
    )
    dry_run = models.BooleanField(default=False)
    total = models.IntegerField(default=0)  # messages in the mailbox at the start
    done = models.IntegerField(default=0)  # messages looked at so far
    counts = models.JSONField(default=dict, blank=True)  # ScanResult as a dict
    error = models.TextField(blank=True, default="")
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "bounce_mailbox_scans"
        ordering = ["-started_at", "-id"]
        # "The last scans of this mailbox" (dashboard, alerts) in one index walk.
        indexes = [
            models.Index(
                fields=["mailbox_uuid", "started_at"], name="scan_mailbox_started"
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox_uuid"],
                condition=models.Q(status="running"),
                name="bounce_mailbox_one_running_scan",
            )
        ]

    # A running scan whose heartbeat is older than this was killed or is stuck:
    # the next scan (beat's or "Scan now") takes it over.
    STALE_AFTER = timedelta(minutes=10)

    def __str__(self) -> str:
        return f"scan {self.mailbox_name} {self.status}"

    def is_stale(self, now: datetime | None = None) -> bool:
        """Running, but without progress for STALE_AFTER."""
        now = now or timezone.now()
        return (
            self.status == self.Status.RUNNING
            and self.heartbeat_at < now - self.STALE_AFTER
        )

    @property
    def percent(self) -> int:
        if self.status != self.Status.RUNNING:
            return 100
        return min(100, int(100 * self.done / self.total)) if self.total else 0


class UnmatchedBounce(models.Model):
    """A bounce of any source (or an unparseable message) that matched no subscriber,
    and why: the one list of misses (Bounces -> Unmatched)."""

    class Reason(models.TextChoices):
        NO_RECIPIENT = "no_recipient", "no recipient found"
        NOT_SUBSCRIBER = "not_subscriber", "recipient is not a subscriber"
        UNKNOWN_SUBSCRIBER = "unknown_subscriber", "subscriber header names nobody"
        UNPARSEABLE = "unparseable", "message could not be parsed"

    reason = models.CharField(max_length=30, choices=Reason.choices)
    detail = models.TextField(blank=True, default="")
    email = models.CharField(max_length=320, blank=True, default="")
    type = models.CharField(max_length=10, blank=True, default="")
    status_code = models.CharField(max_length=20, blank=True, default="")
    # The bounce's source ("pop"/"imap", a provider slug, the API caller's name,
    # "smtp") and its kind: mailbox | provider | api | smtp.
    source = models.CharField(max_length=200, blank=True, default="")
    origin = models.CharField(max_length=20, blank=True, default="mailbox")
    mailbox_uuid = models.UUIDField(null=True, blank=True)
    mailbox_name = models.CharField(max_length=200, blank=True, default="")
    raw_message = models.ForeignKey(
        RawMessage, on_delete=models.SET_NULL, null=True, blank=True
    )
    # What a provider or the API sent (a mailbox's is raw_message).
    payload = models.JSONField(null=True, blank=True)
    # The bounce's own key: a retried or re-scanned miss is listed once.
    event_key = models.CharField(max_length=255, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "bounce_unmatched"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"unmatched {self.email or '?'} ({self.reason})"
