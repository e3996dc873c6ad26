"""CSV imports: start (validate, save, enqueue), run in a worker, stop, clean up.

The upload is checked as a whole before the job exists, so a file-level error
(encoding, columns, size, unknown list) writes nothing. The worker then
imports in batches: each batch, with its memberships and the job's progress,
is one transaction, so a crash or a stop never leaves a row half written.
"""

from __future__ import annotations

import csv
import io
import logging
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, TextField, Value
from django.db.models.functions import Concat, Lower
from django.utils import timezone

from stmails.durable_queue import send_task_on_commit
from stmails.event_hooks import services as event_hooks
from subscribers import hook_events
from subscribers.imports.csv_reader import (
    CsvFileError,
    CsvRow,
    ParamError,
    RowError,
    parse_csv,
    parse_params,
    scan_csv,
)
from subscribers.models import ImportJob, MailingList, Subscriber, Subscription
from subscribers.services import SubscriberError
from subscribers.subscription.confirmation import send_optin_confirmations

log = logging.getLogger(__name__)

BATCH_SIZE = 2000
# The error report keeps this many rows; `failed` still counts them all.
MAX_REPORTED_ERRORS = 10_000
STALE_AFTER = timedelta(minutes=30)
QUEUED_TOO_LONG = timedelta(hours=24)
KEEP_FILES_FOR = timedelta(days=7)

RUNNING = (
    ImportJob.Status.QUEUED,
    ImportJob.Status.IMPORTING,
    ImportJob.Status.STOPPING,
)


def _check_lists(list_ids: tuple[int, ...]) -> None:
    known = set(
        MailingList.objects.filter(id__in=list_ids).values_list("id", flat=True)
    )
    missing = [i for i in list_ids if i not in known]
    if missing:
        raise SubscriberError("lists", f"unknown list id {missing[0]}")


def latest_job() -> ImportJob | None:
    """The import listmonk's status endpoints describe; None once dismissed."""
    job = ImportJob.objects.order_by("-id").first()
    return None if job is None or job.dismissed else job


def _check_none_running() -> None:
    if ImportJob.objects.filter(status__in=RUNNING).exists():
        raise SubscriberError("", "an import is already running", status=409)


def _save_upload(upload: UploadedFile) -> Path:
    directory = Path(settings.STMAILS_IMPORT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}.csv"
    written = 0
    with path.open("wb") as out:
        for chunk in upload.chunks():
            written += len(chunk)
            # upload.size comes from the client's headers; count what arrives too.
            if written > settings.STMAILS_MAX_UPLOAD_BYTES:
                out.close()
                path.unlink(missing_ok=True)
                raise SubscriberError("file", _too_big_message())
            out.write(chunk)
    return path


def _too_big_message() -> str:
    mb = settings.STMAILS_MAX_UPLOAD_BYTES / (1024 * 1024)
    return f"the file is larger than the upload limit of {mb:g} MB"


def start_import(upload: UploadedFile | None, params: dict[str, Any]) -> ImportJob:
    """Validate the params and the whole file, save it, create the job, enqueue it.

    Raises SubscriberError naming the field (file, mode, lists, ...) for bad
    input, with status 409 when another import is running. Nothing is written
    unless everything checks out.
    """
    try:
        parsed = parse_params(params)
    except ParamError as e:
        raise SubscriberError(e.field, e.message) from None
    _check_lists(parsed.list_ids)
    if upload is None:
        raise SubscriberError("file", "a CSV file is required")
    if upload.size is not None and upload.size > settings.STMAILS_MAX_UPLOAD_BYTES:
        raise SubscriberError("file", _too_big_message())
    _check_none_running()
    path = _save_upload(upload)
    try:
        with path.open("rb") as f:
            total = scan_csv(f, delim=parsed.delim)
        with transaction.atomic():
            _check_none_running()
            job = ImportJob.objects.create(
                name=Path(upload.name or "upload.csv").name[:255],
                file_path=str(path),
                mode=parsed.mode,
                subscription_status=parsed.subscription_status,
                overwrite=parsed.overwrite,
                send_confirmations=parsed.send_confirmations,
                delim=parsed.delim,
                list_ids=list(parsed.list_ids),
                total=total,
                log=_log_line(
                    f"queued {upload.name!s}: {total} rows, mode {parsed.mode}"
                ),
            )
            send_task_on_commit("subscribers.tasks.run_import", job_id=job.id)
    except CsvFileError as e:
        path.unlink(missing_ok=True)
        raise SubscriberError("file", str(e)) from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return job


def _log_line(text: str) -> str:
    return f"{timezone.now().isoformat(timespec='seconds')} {text}\n"


def _update(job: ImportJob, text: str, **fields: Any) -> None:
    """Save `fields` and append a log line in SQL, so the worker and a stop
    request never overwrite each other's lines."""
    log = Concat(F("log"), Value(_log_line(text)), output_field=TextField())
    ImportJob.objects.filter(pk=job.pk).update(log=log, **fields)
    for name, value in fields.items():
        setattr(job, name, value)


def _upsert_rows(job: ImportJob, rows: list[CsvRow], lists: list[MailingList]) -> None:
    """Write one batch: new subscribers, updates of existing ones, memberships."""
    now = timezone.now()
    by_key = {row.email.lower(): row for row in rows}
    existing = {
        key: (pk, status)
        for key, pk, status in Subscriber.objects.annotate(lemail=Lower("email"))
        .filter(lemail__in=list(by_key))
        .values_list("lemail", "id", "status")
    }
    blocklist = job.mode == ImportJob.Mode.BLOCKLIST
    new_status = (
        Subscriber.Status.BLOCKLISTED if blocklist else Subscriber.Status.ENABLED
    )
    created = Subscriber.objects.bulk_create(
        [
            Subscriber(
                email=row.email, name=row.name, attribs=row.attribs, status=new_status
            )
            for key, row in by_key.items()
            if key not in existing
        ],
        batch_size=BATCH_SIZE,
    )
    old_ids = [pk for pk, _ in existing.values()]
    if job.overwrite and existing:
        changed = []
        for key, (pk, _) in existing.items():
            row = by_key[key]
            changed.append(
                Subscriber(id=pk, name=row.name, attribs=row.attribs, updated_at=now)
            )
        Subscriber.objects.bulk_update(
            changed, ["name", "attribs", "updated_at"], batch_size=500
        )
    if blocklist:
        hook_events.blocklisting(old_ids, reason=event_hooks.REASON_IMPORT)
        Subscriber.objects.filter(id__in=old_ids).exclude(
            status=Subscriber.Status.BLOCKLISTED
        ).update(status=Subscriber.Status.BLOCKLISTED, updated_at=now)
        Subscription.objects.filter(subscriber_id__in=old_ids).exclude(
            status=Subscription.Status.UNSUBSCRIBED
        ).update(status=Subscription.Status.UNSUBSCRIBED, updated_at=now)
        return
    # A blocklisted address stays off every list, as listmonk's import does.
    member_ids = [s.id for s in created] + [
        pk
        for pk, status in existing.values()
        if status != Subscriber.Status.BLOCKLISTED
    ]
    if member_ids and lists:
        added = _add_memberships(
            member_ids, [lst.id for lst in lists], job.subscription_status, now
        )
        if (
            job.send_confirmations
            and job.subscription_status == Subscription.Status.UNCONFIRMED
        ):
            sent = _request_confirmations(added, lists)
            if sent:
                ImportJob.objects.filter(pk=job.pk).update(
                    confirmations=F("confirmations") + sent
                )


def _request_confirmations(
    added: list[tuple[int, int]], lists: list[MailingList]
) -> int:
    """Queue a confirmation for each subscriber given a new pending double
    opt-in membership in this batch (in the batch's transaction, as the UI and
    API do through services.subscribe_to_lists). Returns how many."""
    double = {lst.id: lst for lst in lists if lst.optin == MailingList.Optin.DOUBLE}
    subscriber_ids = {sub_id for sub_id, list_id in added if list_id in double}
    if subscriber_ids:
        send_optin_confirmations(subscriber_ids, double.values())
    return len(subscriber_ids)


def _add_memberships(
    subscriber_ids: list[int], list_ids: list[int], status: str, now: datetime
) -> list[tuple[int, int]]:
    """Insert subscriber x list memberships; existing ones keep their status, as
    in listmonk. One INSERT ... SELECT (valid on PostgreSQL and SQLite) instead
    of bulk_create: building and quoting model rows was half the import time.
    Returns the (subscriber_id, list_id) pairs actually inserted."""
    when = connection.ops.adapt_datetimefield_value(now)
    subscribers = ", ".join(["%s"] * len(subscriber_ids))
    targets = ", ".join(["%s"] * len(list_ids))
    # Only placeholders are formatted in; values are parameters.
    sql = (
        "INSERT INTO subscriber_lists"  # noqa: S608
        " (subscriber_id, list_id, status, meta, created_at, updated_at)"
        " SELECT s.id, l.id, %s, %s, %s, %s FROM subscribers s CROSS JOIN lists l"
        f" WHERE s.id IN ({subscribers}) AND l.id IN ({targets})"
        " ON CONFLICT (subscriber_id, list_id) DO NOTHING"
        " RETURNING subscriber_id, list_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [status, "{}", when, when, *subscriber_ids, *list_ids])
        return [(row[0], row[1]) for row in cursor.fetchall()]


def _write_batch(
    job: ImportJob, items: list[CsvRow | RowError], lists: list[MailingList]
) -> bool:
    """Import one batch and record progress in one transaction; False if stopped."""
    rows = [item for item in items if isinstance(item, CsvRow)]
    errors = [item for item in items if isinstance(item, RowError)]
    with transaction.atomic():
        status = (
            ImportJob.objects.select_for_update()
            .filter(pk=job.pk)
            .values_list("status", flat=True)
            .get()
        )
        if status == ImportJob.Status.STOPPING:
            return False
        for attempt in (1, 2):
            try:
                with transaction.atomic():
                    _upsert_rows(job, rows, lists)
                break
            except IntegrityError:
                # Someone else added one of these addresses since our look-up.
                if attempt == 2:
                    raise
        job.imported += len(rows)
        job.failed += len(errors)
        room = MAX_REPORTED_ERRORS - len(job.errors)
        job.errors.extend(
            {"line": e.line, "email": e.email, "error": e.reason}
            for e in errors[: max(room, 0)]
        )
        _update(
            job,
            f"imported {job.imported}, failed {job.failed} of {job.total} rows",
            imported=job.imported,
            failed=job.failed,
            errors=job.errors,
            progress_at=timezone.now(),
        )
    return True


def _end(job: ImportJob, status: str, message: str) -> ImportJob:
    now = timezone.now()
    _update(job, message, status=status, finished_at=now, progress_at=now)
    job.refresh_from_db()
    return job


def run_import(job_id: int) -> ImportJob:
    """The worker's side of an import.

    1. Claim the job (queued -> importing); if it is not queued, another worker
       got there first or it was stopped, and there is nothing to do.
    2. Parse the saved file and write it in batches of BATCH_SIZE rows, each
       batch one transaction with its progress.
    3. Before each batch, honour a stop request (status "stopping").
    4. Finish as finished, stopped or failed, with a line in the log.
    """
    now = timezone.now()
    claimed = ImportJob.objects.filter(
        pk=job_id, status=ImportJob.Status.QUEUED
    ).update(status=ImportJob.Status.IMPORTING, started_at=now, progress_at=now)
    job = ImportJob.objects.get(pk=job_id)
    if not claimed:
        return job
    lists = list(MailingList.objects.filter(id__in=job.list_ids))
    if len(lists) != len(set(job.list_ids)):
        return _end(
            job, ImportJob.Status.FAILED, "a target list was deleted; nothing imported"
        )
    try:
        with open(job.file_path, "rb") as f:
            batch: list[CsvRow | RowError] = []
            for item in parse_csv(f, delim=job.delim):
                batch.append(item)
                if len(batch) >= BATCH_SIZE:
                    if not _write_batch(job, batch, lists):
                        return _stopped(job)
                    batch = []
            if batch and not _write_batch(job, batch, lists):
                return _stopped(job)
    except (CsvFileError, OSError) as e:
        return _end(job, ImportJob.Status.FAILED, f"failed: {e}")
    except Exception as e:
        log.exception("import %s failed", job_id)
        return _end(
            job, ImportJob.Status.FAILED, f"failed: internal error ({type(e).__name__})"
        )
    if ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.STOPPING).exists():
        return _stopped(job)
    return _end(
        job,
        ImportJob.Status.FINISHED,
        f"finished: imported {job.imported}, failed {job.failed} of {job.total} rows",
    )


def _stopped(job: ImportJob) -> ImportJob:
    return _end(
        job,
        ImportJob.Status.STOPPED,
        f"stopped: imported {job.imported} of {job.total} rows",
    )


@transaction.atomic
def stop_import(*, clear: bool = False) -> ImportJob | None:
    """Ask the running import to stop after its current batch.

    A queued job stops at once. With clear=True (listmonk's DELETE), an import
    that is already over is dismissed, so the status reads "none" again.
    """
    job = ImportJob.objects.select_for_update().order_by("-id").first()
    if job is None or job.dismissed:
        return None
    if job.status == ImportJob.Status.QUEUED:
        return _end(job, ImportJob.Status.STOPPED, "stopped before it started")
    if job.status == ImportJob.Status.IMPORTING:
        _update(job, "stop requested", status=ImportJob.Status.STOPPING)
    elif clear and job.status != ImportJob.Status.STOPPING:
        job.dismissed = True
        job.save(update_fields=["dismissed"])
        return None
    return job


def clean_stale_imports(now: datetime | None = None) -> int:
    """Fail imports whose worker vanished; delete old uploads. Returns jobs touched.

    Idempotent, for beat: a running job with no progress for STALE_AFTER (or
    queued for QUEUED_TOO_LONG) is failed, and uploads of jobs that ended more
    than KEEP_FILES_FOR ago are deleted (the row and its error report stay).
    """
    now = now or timezone.now()
    touched = 0
    stale = ImportJob.objects.filter(
        status__in=(ImportJob.Status.IMPORTING, ImportJob.Status.STOPPING),
        progress_at__lt=now - STALE_AFTER,
    ) | ImportJob.objects.filter(
        status=ImportJob.Status.QUEUED, created_at__lt=now - QUEUED_TOO_LONG
    )
    for job in stale:
        _end(job, ImportJob.Status.FAILED, "failed: the worker stopped making progress")
        touched += 1
    old = ImportJob.objects.exclude(status__in=RUNNING).exclude(file_path="")
    for job in old.filter(finished_at__lt=now - KEEP_FILES_FOR):
        Path(job.file_path).unlink(missing_ok=True)
        job.file_path = ""
        job.save(update_fields=["file_path"])
        touched += 1
    return touched


def describe_job(job: ImportJob | None) -> dict[str, Any]:
    """listmonk's import status {name, total, imported, status} plus stmails' extras."""
    if job is None:
        return {
            "name": "",
            "total": 0,
            "imported": 0,
            "status": "none",
            "failed_rows": 0,
            "errors": 0,
        }
    # listmonk has no "queued": scripts poll until the status leaves "importing".
    status = (
        ImportJob.Status.IMPORTING
        if job.status == ImportJob.Status.QUEUED
        else job.status
    )
    return {
        "id": job.id,
        "name": job.name,
        "total": job.total,
        "imported": job.imported,
        "status": status,
        "failed_rows": job.failed,
        "errors": len(job.errors),
        "percent": job.percent,
        "mode": job.mode,
        "confirmations": job.confirmations,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def error_report(job: ImportJob) -> Iterator[str]:
    """The per-row error report as CSV text (line, email, error)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["line", "email", "error"])
    for error in job.errors:
        writer.writerow([error.get("line"), error.get("email"), error.get("error")])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
