"""Scan bounce mailboxes: fetch -> parse -> match -> record -> commit -> dispose.

A message is deleted, moved or flagged only after what it produced (bounces,
unmatched entries, its raw copy and the memory row) is committed, and each
processed message is remembered (POP3 UIDL or IMAP UIDVALIDITY:UID, plus the
content hash). So a scan killed at any point loses nothing, and the next scan
neither records nor counts a remembered message again: it only repeats the
disposal that did not happen.

Messages that are not bounces, and messages that cannot be parsed (or whose
parse went over its CPU budget), are never deleted: they stay (or are moved
aside on IMAP). Unparseable ones are also listed with the unmatched bounces so
an admin sees them.

Takeover: a running scan whose heartbeat is older than STALE_AFTER is taken
over by the next scan, started by beat or "Scan now"; the takeover marks it
abandoned first. The old run, if it is still alive, checks that its row is
still running inside each batch's transaction (with the row locked) and stops
without committing or disposing of anything when it is not: a message is never
handled by two scans.
"""

from __future__ import annotations

import logging
import uuid as uuidlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from bounces.mailboxes.batches import (
    BatchProcessor,
    ScanResult,
    Stored,
    disposal,
    read_message,
)
from bounces.mailboxes.client import MailboxClient, MailboxError, open_mailbox
from bounces.mailboxes.validation import interval_seconds
from bounces.models import MailboxMessage, MailboxScan
from bounces.services import bounce_settings
from stmails.config import get_value

log = logging.getLogger(__name__)
# Messages per batch: one transaction, a few queries, then their disposal.
BATCH = 200
# A running scan whose heartbeat is older than this was killed: the next one may start.
STALE_AFTER = MailboxScan.STALE_AFTER
# Beat looks for due mailboxes every 60 s (stmails/celery.py) and a scan starts a
# moment after: without this slack, "every 2m" would wait for the third tick.
DUE_SLACK = timedelta(seconds=30)


class ScanError(Exception):
    """A scan that cannot start (unknown mailbox, already running, processing off)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ScanTakenOver(ScanError):
    """This scan was marked stale and another took over: it must not commit."""


# --- mailboxes from the settings -------------------------------------------------


def all_mailboxes() -> list[dict]:
    """Every configured mailbox, credentials decrypted."""
    return get_value("bounce.mailboxes")


def find_mailbox(ident: str) -> dict:
    for box in all_mailboxes():
        if ident in (box["uuid"], box["name"]):
            return box
    raise ScanError(f"no bounce mailbox named {ident!r}")


def due_mailboxes(now: datetime | None = None) -> list[str]:
    """uuids of enabled mailboxes whose interval has passed since their last scan."""
    now = now or timezone.now()
    if not get_value("bounce.enabled"):
        return []
    due = []
    for box in all_mailboxes():
        if not box["enabled"]:
            continue
        last = (
            MailboxScan.objects.filter(mailbox_uuid=box["uuid"], dry_run=False)
            .order_by("-started_at")
            .first()
        )
        if last and last.status == MailboxScan.Status.RUNNING:
            if last.is_stale(now):
                due.append(box["uuid"])  # the scan's _claim takes it over
            continue
        interval = timedelta(seconds=interval_seconds(box["scan_interval"]))
        if last is None or last.started_at + interval - DUE_SLACK <= now:
            due.append(box["uuid"])
    return due


# --- the scan ----------------------------------------------------------------------


def _claim(box: dict) -> MailboxScan:
    now = timezone.now()
    MailboxScan.objects.filter(
        mailbox_uuid=box["uuid"],
        status=MailboxScan.Status.RUNNING,
        heartbeat_at__lt=now - STALE_AFTER,
    ).update(
        status=MailboxScan.Status.ABANDONED,
        finished_at=now,
        error=f"taken over: no progress for {STALE_AFTER.seconds // 60} minutes "
        "(the worker was killed or stuck)",
    )
    try:
        with transaction.atomic():
            return MailboxScan.objects.create(
                mailbox_uuid=box["uuid"], mailbox_name=box["name"]
            )
    except IntegrityError:
        raise ScanError(f"mailbox {box['name']} is already being scanned") from None


def scan_mailbox(
    box: dict,
    *,
    dry_run: bool = False,
    limit: int | None = None,
    connect: Callable[[dict], MailboxClient] = open_mailbox,
) -> ScanResult:
    """Scan one mailbox (a decrypted `bounce.mailboxes` item) and return a summary.

    1. Refuse when bounce processing is off (a dry run is allowed: it writes nothing).
    2. Claim the mailbox: one running MailboxScan row per mailbox is the lock.
    3. List the message keys; per batch, skip remembered ones (repeating only
       a disposal that did not happen), fetch and parse the new ones, process them
       in one transaction (bounces/mailboxes/batches.py), then dispose of them
       once it is committed.
    4. Apply deletions (POP3 QUIT, IMAP EXPUNGE), mark them done, store the result.
    A mailbox-level failure (login, network) ends the scan with `error` set.
    """
    if not dry_run and not get_value("bounce.enabled"):
        raise ScanError("bounce processing is disabled (Settings → Bounces)")
    result = ScanResult(mailbox=box["name"], dry_run=dry_run)
    scan = None if dry_run else _claim(box)
    scanner = _Scanner(box, result, scan, dry_run)
    client: MailboxClient | None = None
    try:
        client = connect(box)
        keys = client.keys()
        result.total = len(keys)
        if limit is not None:
            keys = keys[:limit]
        scanner.progress(total=len(keys))
        for start in range(0, len(keys), BATCH):
            scanner.batch(client, keys[start : start + BATCH])
        client.finish()
        client = None
        scanner.mark_disposed()
    except MailboxError as e:
        result.error = e.message
    except Exception as e:
        result.error = f"{type(e).__name__}: {e}"
        scanner.finish(failed=True)
        raise
    finally:
        if client is not None:
            client.abort()
    scanner.finish(failed=bool(result.error))
    log.info("mailbox scan %s: %s", box["name"], " ".join(result.lines()))
    return result


class _Scanner:
    """The per-scan state: settings, pending disposals, progress row."""

    def __init__(
        self, box: dict, result: ScanResult, scan: MailboxScan | None, dry_run: bool
    ):
        self.box = box
        self.uuid = uuidlib.UUID(box["uuid"])
        self.result = result
        self.scan = scan
        self.dry_run = dry_run
        self.processor = BatchProcessor(
            box, result, bounce_settings(), write=not dry_run
        )
        self.pending: list[int] = []  # memory rows disposed of once finish() succeeds
        self.done = 0

    # progress ---------------------------------------------------------------------

    def progress(self, *, total: int | None = None) -> None:
        if self.scan is None:
            return
        fields = {"done": self.done, "heartbeat_at": timezone.now()}
        fields["counts"] = self.result.as_dict()
        if total is not None:
            fields["total"] = total
        self._own_row().update(**fields)

    def _own_row(self):  # type: ignore[no-untyped-def]
        """The scan's row while it is still this scan's: not once taken over."""
        assert self.scan is not None
        return MailboxScan.objects.filter(
            pk=self.scan.pk, status=MailboxScan.Status.RUNNING
        )

    def check_still_running(self) -> None:
        """Inside a batch's transaction: lock the row, and stop if taken over."""
        if self.scan is None:
            return
        if not self._own_row().select_for_update().exists():
            self.scan.status = MailboxScan.Status.ABANDONED
            raise ScanTakenOver(
                f"the scan of {self.box['name']} was taken over by a newer one"
            )

    def finish(self, *, failed: bool) -> None:
        if self.scan is None or self.scan.status != MailboxScan.Status.RUNNING:
            return
        status = MailboxScan.Status.FAILED if failed else MailboxScan.Status.FINISHED
        self._own_row().update(
            status=status,
            done=self.done,
            counts=self.result.as_dict(),
            error=self.result.error,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
        self.scan.status = status

    # disposal ---------------------------------------------------------------------

    def dispose(self, client: MailboxClient, todo: list[Stored]) -> None:
        """Delete, move or flag committed messages; their rows are marked after finish()."""
        groups: dict[tuple[str, str], list[Stored]] = {}
        for item in todo:
            action, folder = disposal(self.box, item.outcome)
            if action:
                groups.setdefault((action, folder), []).append(item)
        for (action, folder), items in groups.items():
            keys = [item.key for item in items]
            if action == "delete":
                client.delete(keys)
                self.result.deleted += len(keys)
            elif action == "move":
                client.move(keys, folder)
                self.result.moved += len(keys)
            else:
                client.flag_seen(keys)
                self.result.flagged += len(keys)
            self.pending.extend(item.row_id for item in items)

    def mark_disposed(self) -> None:
        for start in range(0, len(self.pending), 1000):
            MailboxMessage.objects.filter(
                id__in=self.pending[start : start + 1000]
            ).update(disposed=True)
        self.pending = []

    # one batch ----------------------------------------------------------------------

    def batch(self, client: MailboxClient, keys: list[str]) -> None:
        known = MailboxMessage.objects.filter(
            mailbox_uuid=self.uuid, uid__in=keys
        ).values_list("uid", "outcome", "disposed", "id")
        todo: list[Stored] = []
        remembered = set()
        for uid, outcome, disposed, row_id in known:
            remembered.add(uid)
            self.result.skipped += 1
            if not disposed:
                todo.append(Stored(uid, outcome, row_id))
        new = [k for k in keys if k not in remembered]
        if new:
            # Read and parse the whole batch first, so the transaction stays
            # short. (A reader thread one batch ahead was tried: slower, the
            # parsing thread holds the GIL while the database answers.)
            messages = [read_message(key, raw) for key, raw in client.fetch(new)]
            if self.dry_run:
                self.processor.count(messages)
            else:
                with transaction.atomic():
                    # Commits only while this scan still owns the mailbox.
                    self.check_still_running()
                    todo.extend(self.processor.store(messages))
        self.done += len(keys)
        if not self.dry_run:
            # Committed above: only now may the server forget these messages.
            self.dispose(client, todo)
        self.progress()


def test_connection(data: Any) -> int:
    """Validate one mailbox's JSON (a masked password means the stored one),
    connect and log in; return the message count.

    Raises SettingsError for bad input, MailboxError with the server's words.
    """
    from bounces.mailboxes.client import check_mailbox
    from bounces.mailboxes.validation import as_mailbox
    from stmails.config import REGISTRY, SettingsError, reuse_secret
    from stmails.lib import crypto

    if not isinstance(data, dict):
        raise SettingsError("bounce.mailboxes", "must be a JSON object (one mailbox)")
    box = as_mailbox("mailbox", dict(data))
    if crypto.is_masked(data.get("password", "")):
        stored = {b["uuid"]: b for b in all_mailboxes()}
        previous = stored.get(box["uuid"], {})
        box["password"] = reuse_secret(
            REGISTRY["bounce.mailboxes"], box, previous, "password", "mailbox"
        )
    log.info("testing bounce mailbox %s:%s", box["host"], box["port"])
    return check_mailbox(box)
