from __future__ import annotations

import difflib
import hashlib
import json
import secrets

from django.db import models
from django.utils import timezone

from stmails.lib import crypto


class Setting(models.Model):
    """One settings key (listmonk's flat key map), its value as JSON.

    Keys and their types live in stmails.config; credentials inside values are
    stored encrypted (stmails.lib.crypto).
    """

    key = models.CharField(max_length=100, primary_key=True)
    value = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "settings"

    def __str__(self) -> str:
        return self.key


class UnusedSetting(models.Model):
    """A settings key stmails does not implement, kept as a client sent it
    (a listmonk settings map: app.logo_url, upload.*, ...) so that GET
    /api/settings gives it back. Values of secret-looking fields are
    encrypted (stmails.config.unused). Once a later version registers the key,
    stmails.config.unused.adopt moves the row into `settings`.
    """

    key = models.CharField(max_length=100, primary_key=True)
    value = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "settings_unused"

    def __str__(self) -> str:
        return self.key


def hash_token(token: str) -> str:
    # Tokens are 32 random bytes, so a fast hash is enough (no password stretching).
    return hashlib.sha256(token.encode()).hexdigest()


class ApiUser(models.Model):
    """A named API user: scripts authenticate as `name:token`."""

    name = models.CharField(max_length=100, unique=True)
    token_hash = models.CharField(max_length=64)
    token_hint = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "api_users"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    # DRF and LoginRequired-style checks treat an API user as an authenticated principal.
    is_authenticated = True
    is_anonymous = False
    is_active = True

    @property
    def username(self) -> str:
        return self.name

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    def set_token(self, token: str) -> None:
        self.token_hash = hash_token(token)
        self.token_hint = token[:4]

    def token_matches(self, token: str) -> bool:
        return secrets.compare_digest(self.token_hash, hash_token(token))

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class Heartbeat(models.Model):
    """The last sign of life of a background process (worker, beat)."""

    name = models.CharField(max_length=50, primary_key=True)
    seen_at = models.DateTimeField()

    class Meta:
        db_table = "heartbeats"

    def __str__(self) -> str:
        return self.name


class OutgoingMail(models.Model):
    """One mail to send through the SMTP servers of Settings → SMTP (stmails.outbox).

    The row is the queue: Celery only carries its id, so a lost broker message
    or a dead worker never loses the mail (see stmails.outbox for the states).
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENDING = "sending"
        SENT = "sent"
        # A worker died after handing the message to the server (DATA): the
        # server may well have accepted it, so it is never sent again.
        SENT_UNCONFIRMED = "sent_unconfirmed"
        AWAITING_RETRY = "awaiting_retry"
        FAILED = "failed"

    class Phase(models.TextChoices):
        NONE = ""
        CONNECTING = "connecting"
        DATA = "data"

    # kind -> what an admin reads; an unknown kind shows as itself, capitalised.
    KIND_LABELS = {
        "optin": "Opt-in confirmations",
        "tx": "Transactional mails",
        "campaign_test": "Campaign test sends",
        "alert": "Alert mails",
        "probe": "Self-test probe mails",
        "system": "Other system mails",
    }

    kind = models.CharField(max_length=30, default="system")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    phase = models.CharField(
        max_length=20, choices=Phase.choices, default=Phase.NONE, blank=True
    )
    to_email = models.CharField(max_length=320)
    from_email = models.CharField(max_length=500)
    subject = models.CharField(max_length=998)
    text = models.TextField()
    html = models.TextField(blank=True, default="")
    headers = models.JSONField(default=dict, blank=True)
    # Indexed: a bounce that returns the original's Message-ID is matched by it.
    message_id = models.CharField(max_length=300, db_index=True)
    # Plain ids, not foreign keys: the core app must not depend on subscribers or
    # campaigns (import direction), and a queued mail outlives a deleted row.
    subscriber_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    campaign_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # The tx template a transactional mail was made from (the tx log shows it).
    template_id = models.BigIntegerField(null=True, blank=True)
    # Files sent with the mail (POST /api/tx's multipart form); one row is
    # shared by every recipient's mail of a request.
    attachments = models.ManyToManyField(
        "MailAttachment", blank=True, related_name="mails"
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    smtp_code = models.PositiveIntegerField(null=True, blank=True)
    smtp_response = models.TextField(blank=True, default="")
    # A 5xx reply: never retried. At "RCPT TO" it is the recipient's rejection,
    # which bounces turns into a hard bounce with source "smtp".
    permanent = models.BooleanField(default=False)
    smtp_stage = models.CharField(max_length=20, blank=True, default="")
    server = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    next_try_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set by bounces once the rejection became a hard bounce (or was skipped).
    rejection_handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "outgoing_mail"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "next_try_at"], name="outgoing_status_next"),
            models.Index(
                fields=["status", "created_at"], name="outgoing_status_created"
            ),
            # The dashboard's "sent in this period".
            models.Index(fields=["status", "sent_at"], name="outgoing_status_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.to_email}: {self.subject}"

    @classmethod
    def kind_label(cls, kind: str) -> str:
        return (
            cls.KIND_LABELS.get(kind) or f"{kind.replace('_', ' ').capitalize()} mails"
        )


class MailAttachment(models.Model):
    """A file attached to outgoing mail, stored with the queue so a queued mail
    keeps it across restarts. filename is already sanitised (no path)."""

    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    data = models.BinaryField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "mail_attachments"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class SettingsChange(models.Model):
    """One settings key changed: who, when, old and new value (credentials masked).

    Written by config.update_settings in the same transaction as the change, so
    a switched-off setting can always be traced to its author.
    """

    SYSTEM = "system"

    # An admin's username, "api:<name>" for an API user, or "system".
    actor = models.CharField(max_length=200, default=SYSTEM)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    key = models.CharField(max_length=200)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = "settings_changes"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.key} by {self.actor}"

    @property
    def old_json(self) -> str:
        return _compact_json(self.old_value)

    @property
    def new_json(self) -> str:
        return _compact_json(self.new_value)

    def diff_lines(self) -> list[tuple[str, str]] | None:
        """A line diff of old and new text as (kind, line) with kind "+", "-" or " ",
        for multi-line text values; None when a one-line "old → new" reads better."""
        old, new = self.old_value, self.new_value
        if not (isinstance(old, str) and isinstance(new, str)):
            return None
        if "\n" not in old and "\n" not in new:
            return None
        lines = difflib.unified_diff(
            old.splitlines(), new.splitlines(), n=1, lineterm=""
        )
        # Skip the ---/+++ file header; keep @@ hunk markers as context.
        return [(line[:1], line[1:]) for line in list(lines)[2:]]

    @classmethod
    def actor_for(cls, user) -> str:
        """The actor label for a request's user (admin or API user)."""
        if isinstance(user, ApiUser):
            return f"api:{user.name}"
        username = getattr(user, "username", "") or ""
        return username or cls.SYSTEM


def _compact_json(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


class EventHook(models.Model):
    """An admin-set URL that gets signed event POSTs (stmails.event_hooks.services).

    Secrets are stored encrypted (stmails.lib.crypto). After a rotation the
    previous secret still signs until `previous_secret_until`, so a receiver
    can switch to the new one without rejecting anything in between.
    """

    name = models.CharField(max_length=100)
    url = models.CharField(max_length=500)
    events = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    secret = models.TextField()
    secret_hint = models.CharField(max_length=16, blank=True, default="")
    previous_secret = models.TextField(blank=True, default="")
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "event_hooks"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def set_secret(self, plain: str, *, keep_previous_until=None) -> None:
        """Store a new secret; with keep_previous_until the old one keeps signing."""
        if keep_previous_until is not None and self.secret:
            self.previous_secret = self.secret
            self.previous_secret_until = keep_previous_until
        self.secret = crypto.encrypt(plain)
        self.secret_hint = plain[:10]

    def signing_secrets(self, now) -> list[str]:
        """The secrets that sign a request sent at `now`, newest first."""
        found = [crypto.decrypt(self.secret)]
        if (
            self.previous_secret
            and self.previous_secret_until
            and (now < self.previous_secret_until)
        ):
            found.append(crypto.decrypt(self.previous_secret))
        return found

    @property
    def masked_secret(self) -> str:
        return f"{self.secret_hint}\u2026" if self.secret_hint else ""


class EventDelivery(models.Model):
    """One event for one EventHook: the row is the queue (stmails.event_hooks.delivery).

    `payload` is the exact JSON body, so every attempt sends the same bytes
    under the same `message_id` (the webhook-id header receivers dedupe by).
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        DELIVERING = "delivering"
        DELIVERED = "delivered"
        AWAITING_RETRY = "awaiting_retry"
        FAILED = "failed"

    # No database constraint: an event raised while an admin deletes its
    # endpoint must not break the bounce or unsubscribe that raised it. Django
    # still cascades on delete; a row left behind is dropped when sent.
    hook = models.ForeignKey(
        EventHook,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_constraint=False,
    )
    event_type = models.CharField(max_length=50)
    message_id = models.CharField(max_length=50)
    payload = models.TextField()
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    response_excerpt = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_try_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "event_deliveries"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["hook", "message_id"], name="event_deliveries_hook_msg_uniq"
            )
        ]
        indexes = [
            models.Index(
                fields=["status", "next_try_at"], name="event_deliveries_status_next"
            ),
            # The delivery log: one endpoint's rows, newest first.
            models.Index(fields=["hook", "-id"], name="event_deliveries_hook_id"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id} -> {self.hook_id}"

    @property
    def body(self) -> bytes:
        return self.payload.encode()

    @property
    def data(self) -> dict:
        return json.loads(self.payload)


class AuthThrottle(models.Model):
    """Authentication attempts of one account from one client address in the
    current window (stmails.lockout). Counted with one atomic UPSERT, so
    concurrent attempts from several web processes never pass the limit."""

    # sha256 of "account\0address": neither is stored in clear.
    key = models.CharField(max_length=64, primary_key=True)
    attempts = models.IntegerField(default=0)
    # Unix seconds: compared in SQL on both databases without date formats.
    window_ends = models.BigIntegerField(db_index=True)

    class Meta:
        db_table = "auth_throttle"

    def __str__(self) -> str:
        return f"{self.key[:12]}: {self.attempts} until {self.window_ends}"
