"""Benchmark: scan 10,000 bounces from Dovecot over POP3; the target is under 60 s.

Starts a throwaway Dovecot (tests/bounces/mailboxes/dovecot.py: needs the Debian
packages dovecot-pop3d and dovecot-imapd), creates 10,000 subscribers, delivers
one RFC 3464 DSN for each into the bounce mailbox (a mix of hard and soft
bounces, one in ten to an address that is no subscriber), then runs the real
scan service over POP3 (STARTTLS) against DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/stmails_bench_i). Prints seconds,
messages/s and peak RSS, checks every bounce was recorded once and the mailbox
is empty, and exits 1 when a target is missed. Also prints the database round
trips per message: the hard bounces' threshold actions (blocklist) make most
of them. Its rows are deleted afterwards.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/stmails_bench_i \\
        .venv/bin/python bench/bench_scan_mailbox.py [--messages 10000]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import emit, ensure_postgres_database  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/stmails_bench_i"
LIMIT_SECONDS = 60.0


def _configure() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stmails.settings")
    os.environ.setdefault(
        "SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789"
    )
    os.environ.setdefault(
        "STMAILS_ENCRYPTION_KEY", "YmVuY2gtb25seS1lbmNyeXB0aW9uLWtleS0zMmJ5dGU="
    )
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    os.environ.setdefault("CACHE_URL", "locmem://")
    os.environ.setdefault("STMAILS_VAR_DIR", tempfile.mkdtemp(prefix="stmails-bench-"))
    ensure_postgres_database(os.environ["DATABASE_URL"], required=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    if shutil.which("dovecot") is None:
        print(
            "FAIL: dovecot is not installed (apt-get install dovecot-pop3d dovecot-imapd)"
        )
        return 1

    _configure()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bounces.mailboxes import scanning
    from bounces.models import (
        Bounce,
        BounceAction,
        MailboxMessage,
        MailboxScan,
        RawMessage,
        UnmatchedBounce,
    )
    from stmails.config import update_settings
    from subscribers.models import Subscriber
    from tests.bounces.mailboxes.dovecot import start_dovecot
    from tests.bounces.mailboxes.messages import dsn

    call_command("migrate", verbosity=0)
    prefix = f"scan-{uuid.uuid4().hex[:8]}-"
    subs = Subscriber.objects.bulk_create(
        Subscriber(email=f"{prefix}{i}@bench.example", name=f"s{i}")
        for i in range(args.messages)
    )
    server = start_dovecot()
    try:
        user = server.add_user()
        started = time.perf_counter()
        for i, sub in enumerate(subs):
            email = sub.email if i % 10 else f"{prefix}{i}@nobody.example"
            if i % 3 == 0:
                raw = dsn(
                    email,
                    status="5.2.2",
                    diagnostic="smtp; 552 5.2.2 Mailbox full",
                    n=i,
                )
            else:
                raw = dsn(email, n=i)
            user.deliver(raw)
        print(
            f"delivered  {args.messages} DSNs in {time.perf_counter() - started:.1f} s"
        )
        previous = {
            "bounce.enabled": True,
            "bounce.mailboxes": [user.box("pop", "STARTTLS", name=f"{prefix}box")],
        }
        update_settings(previous)
        box = scanning.find_mailbox(f"{prefix}box")

        queries = [0]

        def count_query(execute, sql, params, many, context):
            queries[0] += 1
            return execute(sql, params, many, context)

        started, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(count_query):
            result = scanning.scan_mailbox(box)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        left = user.count()
    finally:
        server.stop()

    stored = Bounce.objects.filter(subscriber__email__startswith=prefix).count()
    unmatched = args.messages // 10
    load = os.getloadavg()
    print(f"database   {connection.vendor} {connection.settings_dict['NAME']}")
    print("\n".join(result.lines()))
    print(f"bounces    {stored} stored, {left} message(s) left in the mailbox")
    print(f"seconds    {seconds:.2f}")
    print(f"msgs/s     {args.messages / seconds:,.0f}")
    print(
        f"cpu        {cpu:.2f} s in this process (the rest: PostgreSQL, Dovecot, waiting)"
    )
    print(
        f"queries    {queries[0]} ({queries[0] / args.messages:.1f} per message,"
        " savepoints included)"
    )
    print(f"peak RSS   {peak_mb:.0f} MB")
    print(f"load avg   {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

    ok = (
        not result.error
        and stored == args.messages - unmatched
        and result.unmatched == unmatched
        and left == 0
        and seconds < LIMIT_SECONDS
    )
    emit("scan mailbox (POP3)", f"{args.messages:,} bounces scanned", round(seconds, 2),
         unit="s", target=f"< {LIMIT_SECONDS:.0f}, each once", passed=ok,
         note=f"{stored:,} stored, {left} left; peak RSS {peak_mb:.0f} MB")  # fmt: skip
    # Clean up: this run's rows only.
    mbox = uuid.UUID(box["uuid"])
    UnmatchedBounce.objects.filter(mailbox_uuid=mbox).delete()
    MailboxMessage.objects.filter(mailbox_uuid=mbox).delete()
    MailboxScan.objects.filter(mailbox_uuid=mbox).delete()
    BounceAction.objects.filter(email__startswith=prefix).delete()
    Subscriber.objects.filter(email__startswith=prefix).delete()
    RawMessage.objects.filter(mailbox_name=box["name"]).delete()
    update_settings({"bounce.mailboxes": []})
    if not ok:
        print(
            f"FAIL: the target is {args.messages} bounces scanned once each over POP3 "
            f"in under {LIMIT_SECONDS:.0f} s"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
