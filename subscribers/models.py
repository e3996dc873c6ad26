from __future__ import annotations

import uuid

from django.db import models
from django.db.models.functions import Lower


class Subscriber(models.Model):
    class Status(models.TextChoices):
        ENABLED = "enabled"
        DISABLED = "disabled"
        BLOCKLISTED = "blocklisted"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.CharField(max_length=320)
    name = models.CharField(max_length=500, blank=True, default="")
    attribs = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.ENABLED, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    lists = models.ManyToManyField(
        "MailingList", through="Subscription", related_name="subscribers"
    )

    class Meta:
        db_table = "subscribers"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="subscribers_email_lower_uniq")
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_blocklisted(self) -> bool:
        return self.status == self.Status.BLOCKLISTED


class SubscriberTally(models.Model):
    """How many subscribers of one status came (n > 0) or went (n < 0) in a block
    of BUCKET ids (subscribers.tallies): written by PostgreSQL triggers in the
    writer's own transaction (migration 0006), so sums over it are exact counts
    in any snapshot. Unused on other databases."""

    bucket = models.BigIntegerField()
    status = models.CharField(max_length=20)
    n = models.BigIntegerField()

    class Meta:
        db_table = "subscriber_tallies"

    def __str__(self) -> str:
        return f"{self.bucket}:{self.status}:{self.n:+d}"


class ListQuerySet(models.QuerySet):
    def visible(self) -> ListQuerySet:
        """The lists people see and pick: not the ones stmails keeps for itself."""
        return self.filter(internal=False)


class MailingList(models.Model):
    class Type(models.TextChoices):
        PUBLIC = "public"
        PRIVATE = "private"

    class Optin(models.TextChoices):
        SINGLE = "single"
        DOUBLE = "double"

    class Status(models.TextChoices):
        ACTIVE = "active"
        ARCHIVED = "archived"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.PRIVATE)
    optin = models.CharField(max_length=10, choices=Optin.choices, default=Optin.SINGLE)
    # listmonk's list status: an archived list is kept (members, history) but no
    # longer offered on the public form, the preferences page or /api/public/lists.
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    tags = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True, default="")
    # Kept by stmails for itself (the self-test's hidden double opt-in list):
    # left out of the list pages, list pickers and GET /api/lists.
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ListQuerySet.as_manager()

    class Meta:
        db_table = "lists"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_offered_publicly(self) -> bool:
        return self.type == self.Type.PUBLIC and self.status == self.Status.ACTIVE


class Subscription(models.Model):
    """A subscriber's membership of one list (listmonk's subscriber_lists row)."""

    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed"
        CONFIRMED = "confirmed"
        UNSUBSCRIBED = "unsubscribed"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE)
    list = models.ForeignKey(MailingList, on_delete=models.CASCADE)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.UNCONFIRMED
    )
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "subscriber_lists"
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "list"], name="subscriber_lists_uniq"
            )
        ]
        indexes = [models.Index(fields=["list", "status"])]

    def __str__(self) -> str:
        return f"{self.subscriber_id}:{self.list_id}:{self.status}"


class ImportJob(models.Model):
    """A CSV import run by a Celery worker; the UI polls its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        IMPORTING = "importing"
        STOPPING = "stopping"
        FINISHED = "finished"
        FAILED = "failed"
        STOPPED = "stopped"

    class Mode(models.TextChoices):
        SUBSCRIBE = "subscribe"
        BLOCKLIST = "blocklist"

    name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=500)
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.SUBSCRIBE)
    subscription_status = models.CharField(
        max_length=20,
        choices=Subscription.Status.choices,
        default=Subscription.Status.UNCONFIRMED,
    )
    overwrite = models.BooleanField(default=False)
    # Mail a confirmation to new unconfirmed members of double opt-in lists:
    # only when asked, and the count sent is kept to show afterwards.
    send_confirmations = models.BooleanField(default=False)
    confirmations = models.IntegerField(default=0)
    delim = models.CharField(max_length=1, default=",")
    list_ids = models.JSONField(default=list)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    total = models.IntegerField(default=0)
    imported = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)
    errors = models.JSONField(
        default=list
    )  # [{"line": n, "email": "...", "error": "..."}]
    log = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Set with every progress write; a running job that stops moving is stale.
    progress_at = models.DateTimeField(null=True, blank=True)
    # DELETE /api/import/subscribers on a finished job: listmonk's status goes back to "none".
    dismissed = models.BooleanField(default=False)

    class Meta:
        db_table = "import_jobs"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_running(self) -> bool:
        return self.status in (
            self.Status.QUEUED,
            self.Status.IMPORTING,
            self.Status.STOPPING,
        )

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.status == self.Status.FINISHED else 0
        return min(100, int(100 * (self.imported + self.failed) / self.total))
