"""Benchmark: 1,000 mails through the outgoing mail queue in under 30 s.

Queues 1,000 mails with stmails.outbox.queue_mail (one transaction each, as a
subscription does) against DATABASE_URL (PostgreSQL), with a real `celery
worker` (prefork, --concurrency 2) on Redis and an aiosmtpd sink on loopback.
Times from the first queue_mail until the sink has every message and every row
is "sent"; prints mails/s; exits 1 when too slow or a mail is missing or doubled.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/stmails_bench \\
        .venv/bin/python bench/bench_outbox.py [--mails 1000] [--broker redis://127.0.0.1:6379/9]
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

LIMIT_SECONDS = 30.0


def _configure(broker: str) -> None:
    from harness import ensure_postgres_database

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stmails.settings")
    os.environ.setdefault(
        "SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789"
    )
    os.environ.setdefault(
        "STMAILS_ENCRYPTION_KEY", "YmVuY2gtb25seS1lbmNyeXB0aW9uLWtleS0zMmJ5dGU="
    )
    os.environ["CELERY_BROKER_URL"] = broker
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ.setdefault("STMAILS_VAR_DIR", tempfile.mkdtemp(prefix="stmails-bench-"))
    ensure_postgres_database(os.environ.get("DATABASE_URL", ""), required=False)


class CountingSink:
    def __init__(self):
        self.message_ids: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        for line in envelope.original_content.splitlines():
            if line.lower().startswith(b"message-id:"):
                self.message_ids.append(line.split(b":", 1)[1].strip().decode())
                break
        return "250 OK"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/9")
    args = parser.parse_args()
    _configure(args.broker)

    import django

    django.setup()
    from aiosmtpd.controller import Controller
    from django.core.management import call_command
    from django.db import transaction

    from stmails import outbox
    from stmails.celery import app
    from stmails.config import update_settings
    from stmails.models import Heartbeat, OutgoingMail
    from tests.stmails.outbox_helpers import free_port, smtp_server

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    app.control.purge()
    OutgoingMail.objects.filter(kind="bench").delete()
    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    update_settings({"smtp": [smtp_server(controller.port)]})
    Heartbeat.objects.filter(name="worker").delete()
    log = open(Path(os.environ["STMAILS_VAR_DIR"]) / "worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "stmails", "worker", "-c", "2",
         "-l", "warning", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not Heartbeat.objects.filter(name="worker").exists():
            if time.monotonic() > deadline or worker.poll() is not None:
                print("the worker did not start")
                return 1
            time.sleep(0.2)

        start = time.monotonic()
        for i in range(args.mails):
            with transaction.atomic():
                outbox.queue_mail(
                    to=f"bench{i}@example.com", subject="Confirm your subscription",
                    text="Click https://example.com/confirm/x", kind="bench",
                )  # fmt: skip
        queued = time.monotonic() - start
        bench = OutgoingMail.objects.filter(kind="bench")
        while time.monotonic() - start < LIMIT_SECONDS * 3:
            if bench.filter(status="sent").count() == args.mails:
                break
            time.sleep(0.1)
        elapsed = time.monotonic() - start
        sent = bench.filter(status="sent").count()
        received = len(sink.message_ids)
        unique = len(set(sink.message_ids))
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
        controller.stop()

    print(f"load average: {os.getloadavg()}")
    print(f"mails: {args.mails}  queued in {queued:.1f} s")
    print(f"sent rows: {sent}  received: {received}  distinct Message-IDs: {unique}")
    print(f"all sent after {elapsed:.1f} s ({sent / elapsed:.0f} mails/s)")
    ok = sent == received == unique == args.mails and elapsed <= LIMIT_SECONDS
    print(
        f"target: {args.mails} mails in < {LIMIT_SECONDS:.0f} s: {'OK' if ok else 'MISSED'}"
    )
    from harness import emit

    emit("outbox", f"{args.mails:,} mails delivered", round(elapsed, 1), unit="s",
         target=f"< {LIMIT_SECONDS:.0f}, distinct Message-IDs", passed=ok,
         note=f"sent {sent:,}, received {received:,}, distinct {unique:,}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
