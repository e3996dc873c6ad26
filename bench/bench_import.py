"""Benchmark: import 100,000 subscribers from CSV; the target is under 60 s.

Runs the real service (start_import, then run_import in this process, as a
worker would) against the database in DATABASE_URL, which should be
PostgreSQL. Prints rows, seconds, rows/s and peak RSS; exits 1 when too slow.
Its rows are deleted afterwards unless --keep is given.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/stmails_bench \\
        .venv/bin/python bench/bench_import.py [--rows 100000] [--keep]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import emit, ensure_postgres_database  # noqa: E402

LIMIT_SECONDS = 60.0


def _configure() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stmails.settings")
    os.environ.setdefault(
        "SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789"
    )
    os.environ.setdefault(
        "STMAILS_ENCRYPTION_KEY", "YmVuY2gtb25seS1lbmNyeXB0aW9uLWtleS0zMmJ5dGU="
    )
    # No worker here: the task message goes to an in-memory broker and the
    # import runs in this process, timed.
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ.setdefault("STMAILS_VAR_DIR", tempfile.mkdtemp(prefix="stmails-bench-"))
    ensure_postgres_database(os.environ.get("DATABASE_URL", ""), required=False)


def make_csv(rows: int, prefix: str) -> bytes:
    out = io.StringIO()
    out.write("email,name,attributes\n")
    for i in range(rows):
        attribs = json.dumps({"city": "Berlin", "n": i}).replace('"', '""')
        out.write(f'{prefix}{i}@example.com,Person {i},"{attribs}"\n')
    return out.getvalue().encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the imported rows")
    args = parser.parse_args()

    _configure()
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection

    from subscribers.imports import jobs
    from subscribers.models import ImportJob, MailingList

    call_command("migrate", verbosity=0)
    ImportJob.objects.filter(status__in=jobs.RUNNING).update(status="failed")
    prefix = f"bench-{uuid.uuid4().hex[:8]}-"
    data = make_csv(args.rows, prefix)
    target = MailingList.objects.create(name=f"{prefix}list")
    upload = SimpleUploadedFile("bench.csv", data, content_type="text/csv")

    started = time.perf_counter()
    job = jobs.start_import(
        upload, {"lists": [target.id], "subscription_status": "confirmed"}
    )
    checked = time.perf_counter()
    job = jobs.run_import(job.id)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"database   {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"file       {len(data) / 1e6:.1f} MB, {args.rows} rows")
    print(f"status     {job.status}: imported {job.imported}, failed {job.failed}")
    print(f"check      {checked - started:.2f} s (save + scan in the request)")
    print(f"import     {seconds - (checked - started):.2f} s (the worker's part)")
    print(f"seconds    {seconds:.2f}")
    print(f"rows/s     {job.imported / seconds:,.0f}")
    print(f"peak RSS   {peak_mb:.0f} MB")

    if not args.keep:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM subscriber_lists WHERE list_id = %s", [target.id]
            )
            cursor.execute(
                "DELETE FROM subscribers WHERE email LIKE %s", [prefix + "%"]
            )
        target.delete()
        Path(job.file_path).unlink(missing_ok=True)
    ok = (
        job.status == "finished"
        and job.imported == args.rows
        and seconds < LIMIT_SECONDS
    )
    emit("import", f"CSV import of {args.rows:,} rows", round(seconds, 2), unit="s",
         target=f"< {LIMIT_SECONDS:.0f}, every row", passed=ok,
         note=f"{job.imported:,} imported ({job.status}), {job.imported / seconds:,.0f}"
         f" rows/s, peak RSS {peak_mb:.0f} MB")  # fmt: skip
    if not ok:
        print(
            f"FAIL: the target is {args.rows} rows imported in under {LIMIT_SECONDS:.0f} s"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
