"""Benchmark: a 20,000-subscriber campaign to Postfix's smtp-sink, 1/4/8 connections,
against a floor measured in the same run.

For each connection count a fresh campaign goes through the real path:
start_campaign (delivery rows by INSERT ... ON CONFLICT DO NOTHING), a real
`celery worker` (prefork, one process per connection) on Redis and
PostgreSQL, Postfix's smtp-sink (C, as an unprivileged user on a loopback
port; it dumps every transaction to a file on /dev/shm, which the benchmark
reads to count each recipient). Prints messages/s from the start until the
campaign is finished, and the workers' RSS early and late in the run.

The floor: the same messages prebuilt, pushed over one smtplib connection
(sendmail: MAIL, RCPT, DATA) to the same sink by one process. The ratio is
stmails / (floor × connections, the connections capped by the cores: a
2-core machine runs two senders at a time).

Exits 1 unless, with 4 connections (or the most asked for when fewer), the
campaign reaches TARGET_PER_SECOND and TARGET_RATIO of the floor, and every
run finished with each subscriber exactly once (sink and delivery rows) and a
worker memory that does not grow by more than 30 MB.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/stmails_bench \\
        .venv/bin/python bench/bench_campaign_send.py [--subscribers 20000] \\
        [--conns 1,4,8] [--broker redis://127.0.0.1:6379/12]
"""

from __future__ import annotations

import argparse
import os
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, configure, emit, free_port, setup_django  # noqa: E402

TARGET_PER_SECOND = 1000.0
TARGET_RATIO = 0.5
TARGET_CONNS = 4
FLOOR_MESSAGES = 5000
SMTP_SINK = "/usr/sbin/smtp-sink"  # Debian package postfix
MAX_RSS_GROWTH_MB = 30.0
SHM = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: PTH112 (the dump stays off the disk)
LIST_NAME = "Bench campaign list"

FILL_SQL = [
    """INSERT INTO subscribers (uuid, email, name, attribs, status, created_at, updated_at)
       SELECT gen_random_uuid(), 'cs' || g || '@bench.example', 'Reader ' || g,
              '{"city": "Lyon"}', 'enabled', now(), now()
       FROM generate_series(1, %(n)s) g
       ON CONFLICT DO NOTHING""",
    """INSERT INTO subscriber_lists (subscriber_id, list_id, status, meta, created_at, updated_at)
       SELECT s.id, %(list_id)s, 'confirmed', '{}', now(), now()
       FROM subscribers s WHERE s.email LIKE 'cs%%@bench.example'
       ON CONFLICT DO NOTHING""",
]


class SmtpSink:
    """Postfix's smtp-sink on a loopback port, dumping every transaction to a
    file (one per run) the benchmark reads back."""

    def __init__(self, name: str):
        self.dir = Path(tempfile.mkdtemp(prefix="stmails-bench-sink-", dir=SHM))
        self.dir.chmod(0o777)  # smtp-sink writes as nobody
        self.dump = self.dir / name
        self.port = free_port()
        self.proc = subprocess.Popen(
            [SMTP_SINK, "-u", "nobody", "-D", str(self.dump),
             f"127.0.0.1:{self.port}", "1000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        f"smtp-sink did not start: {self.error()}"
                    ) from None
                time.sleep(0.05)

    def error(self) -> str:
        return (self.proc.stderr.read() or b"").decode(errors="replace")[:500]

    def recipients(self) -> list[str]:
        if not self.dump.exists():
            return []
        with self.dump.open("rb") as f:
            return [
                line[13:].strip().decode()
                for line in f
                if line.startswith(b"X-Rcpt-Args: ")
            ]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def floor(n: int) -> float:
    """Prebuilt messages over one smtplib connection: messages/s."""
    from campaigns.sending.message import Outgoing, build_bytes

    body = "<h1>News</h1><p>Dear Reader 1 of Lyon, " + "lorem ipsum " * 150 + "</p>"
    data, sender = build_bytes(
        Outgoing(
            from_email="Bench <news@bench.example>", to_email="cs1@bench.example",
            to_name="Reader 1", subject="Hello Reader 1", html=body,
            text=body.replace("<h1>", "").replace("</h1>", "\n"),
            message_id="<floor.1@bench.example>", campaign_uuid="floor",
            subscriber_uuid="floor",
        )
    )  # fmt: skip
    sink = SmtpSink("floor")
    try:
        conn = smtplib.SMTP("127.0.0.1", sink.port)
        conn.ehlo("bench.example")
        start = time.perf_counter()
        for i in range(n):
            conn.sendmail(sender, [f"floor{i}@bench.example"], data)
        elapsed = time.perf_counter() - start
        conn.quit()
        got = len(sink.recipients())
    finally:
        sink.stop()
    if got != n:
        raise SystemExit(f"the floor's sink got {got} of {n} messages")
    return n / elapsed


def fill(n: int) -> int:
    from django.db import connection

    from subscribers.models import MailingList, Subscription

    lst, _ = MailingList.objects.get_or_create(name=LIST_NAME)
    if Subscription.objects.filter(list=lst).count() != n:
        Subscription.objects.filter(list=lst).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM subscribers WHERE email LIKE 'cs%%@bench.example'"
            )
            for sql in FILL_SQL:
                cursor.execute(sql, {"n": n, "list_id": lst.pk})
            # As autovacuum would have by now on a real list: planner statistics.
            cursor.execute("ANALYZE subscribers, subscriber_lists")
    return lst.pk


def children_rss_mb(pid: int) -> list[float]:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    sizes = []
    for kid in kids:
        try:
            for line in Path(f"/proc/{kid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        except OSError:
            pass
    return sizes


def run(conns: int, n: int, list_id: int) -> dict:
    from django.db import transaction

    from campaigns.models import Campaign, CampaignList, Delivery
    from campaigns.sending import engine
    from stmails.config import update_settings
    from stmails.models import Heartbeat
    from tests.stmails.outbox_helpers import smtp_server

    sink = SmtpSink(f"run{conns}")
    update_settings(
        {
            "smtp": [smtp_server(sink.port, max_conns=conns)],
            "app.concurrency": conns,
            "app.message_rate": 100_000,
            "campaign.breaker_enabled": False,
        }
    )
    Campaign.objects.filter(name__startswith="Bench send").delete()
    campaign = Campaign.objects.create(
        name=f"Bench send {conns}",
        subject="Hello {{ subscriber.name }}",
        from_email="Bench <news@bench.example>",
        content_type="html",
        body="<h1>News</h1><p>Dear {{ subscriber.name }} of "
        "{{ subscriber.attribs.city }}, " + "lorem ipsum " * 150 + "</p>",
    )
    CampaignList.objects.create(campaign=campaign, list_id=list_id, list_name=LIST_NAME)
    Heartbeat.objects.filter(name="worker").delete()
    log = open(Path(os.environ["STMAILS_VAR_DIR"]) / f"worker{conns}.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "stmails", "worker", "-c", str(conns),
         "-Q", "celery,campaigns", "-l", "warning", "--without-gossip",
         "--without-mingle"],
        cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    samples: list[tuple[float, float]] = []  # (progress, largest child RSS)
    try:
        deadline = time.monotonic() + 60
        while not Heartbeat.objects.filter(name="worker").exists():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit("the worker did not start")
            time.sleep(0.2)
        start, wall_start = time.monotonic(), time.time()
        with transaction.atomic():
            engine.start_campaign(campaign.pk)
        queued = time.monotonic() - start
        limit = start + max(120.0, n / 50)
        while time.monotonic() < limit:
            # Light polling (one row read a second): the machine is the one
            # being measured. campaign.sent moves chunk by chunk.
            campaign.refresh_from_db(fields=["status", "sent", "finished_at"])
            rss = children_rss_mb(worker.pid)
            if rss:
                samples.append((campaign.sent / n, max(rss)))
            if campaign.status == "finished":
                break
            time.sleep(1.0)
        elapsed = time.monotonic() - start
        if campaign.finished_at:  # not the polling's lag
            elapsed = campaign.finished_at.timestamp() - wall_start
        got = sink.recipients()
        rows = Counter(
            Delivery.objects.filter(campaign=campaign).values_list("status", flat=True)
        )
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        log.close()
        sink.stop()
    early = [rss for progress, rss in samples if 0.05 <= progress <= 0.25]
    late = [rss for progress, rss in samples if progress >= 0.75]
    return {
        "conns": conns,
        "status": campaign.status,
        "queued_s": queued,
        "elapsed_s": elapsed,
        "per_second": len(got) / elapsed,
        "received": len(got),
        "distinct": len(set(got)),
        "sent": campaign.sent,
        "rows_sent": rows["sent"],
        "rows": sum(rows.values()),
        "rss_early": max(early) if early else 0.0,
        "rss_late": max(late) if late else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--conns", default="1,4,8")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args()
    if not os.access(SMTP_SINK, os.X_OK):
        sys.exit(f"{SMTP_SINK} is missing: apt-get install postfix")
    os.environ["CELERY_BROKER_URL"] = args.broker
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    configure("stmails-bench-campaign-")
    setup_django()
    from stmails.celery import app

    app.control.purge()
    list_id = fill(args.subscribers)
    per_floor = floor(FLOOR_MESSAGES)
    cores = os.cpu_count() or 1
    results = [
        run(conns, args.subscribers, list_id)
        for conns in [int(c) for c in args.conns.split(",")]
    ]

    print(f"load average: {os.getloadavg()}")
    print(f"campaign of {args.subscribers} subscribers; {cores} cores")
    print(
        f"floor: {per_floor:.0f} messages/s (prebuilt bytes, one smtplib "
        "connection, one process, same sink)"
    )
    ok = True
    for r in results:
        r["ratio"] = r["per_second"] / (per_floor * min(r["conns"], cores))
        exact = (
            r["received"] == r["distinct"] == r["sent"] == r["rows_sent"]
            == r["rows"] == args.subscribers
        )  # fmt: skip
        growth = r["rss_late"] - r["rss_early"]
        flat = growth <= MAX_RSS_GROWTH_MB
        ok = ok and exact and flat and r["status"] == "finished"
        r["exact"], r["flat"] = exact, flat
        print(
            f"{r['conns']} connection(s): {r['per_second']:.0f} messages/s, "
            f"{r['ratio']:.2f} of floor × {min(r['conns'], cores)} "
            f"({r['received']} in {r['elapsed_s']:.1f} s, rows made in "
            f"{r['queued_s']:.1f} s), status {r['status']}, "
            f"{'each once' if exact else 'MISSING OR DOUBLED'}; worker RSS "
            f"{r['rss_early']:.0f} MB early, {r['rss_late']:.0f} MB late"
            f"{'' if flat else ' (GROWS)'}"
        )
    judged = min(results, key=lambda r: abs(r["conns"] - TARGET_CONNS))
    ok = (
        ok
        and judged["per_second"] >= TARGET_PER_SECOND
        and judged["ratio"] >= TARGET_RATIO
    )
    print(
        f"target with {judged['conns']} connections: >= {TARGET_PER_SECOND:.0f} "
        f"messages/s (got {judged['per_second']:.0f}) and >= {TARGET_RATIO} of "
        f"floor × connections capped by cores (got {judged['ratio']:.2f}), flat "
        f"memory, each subscriber once: {'OK' if ok else 'MISSED'}"
    )
    emit_figures(results, judged, per_floor, cores)
    return 0 if ok else 1


def emit_figures(
    results: list[dict], judged: dict, per_floor: float, cores: int
) -> None:
    """`make bench`'s summary: the rate per connection count (judged at
    TARGET_CONNS), the ratio to the floor, and each-once/flat memory."""
    name = "campaign send"
    for r in results:
        is_judged = r is judged
        emit(name, f"{r['conns']} connection(s)", round(r["per_second"]),
             unit="messages/s", target=f">= {TARGET_PER_SECOND:,.0f}" if is_judged else "",
             floor=round(per_floor * min(r["conns"], cores)),
             passed=r["per_second"] >= TARGET_PER_SECOND if is_judged else None,
             note=f"floor × {min(r['conns'], cores)}; worker RSS {r['rss_early']:.0f}"
             f" -> {r['rss_late']:.0f} MB")  # fmt: skip
    emit(name, f"{judged['conns']} connections / (floor × cores)",
         round(judged["ratio"], 3), target=f">= {TARGET_RATIO}",
         passed=judged["ratio"] >= TARGET_RATIO,
         note=f"floor {per_floor:,.0f} messages/s, one connection")  # fmt: skip
    emit(name, "each subscriber once, flat memory",
         sum(r["received"] for r in results), unit="messages",
         target=f"exactly once, RSS growth <= {MAX_RSS_GROWTH_MB:.0f} MB",
         passed=all(r["exact"] and r["flat"] and r["status"] == "finished"
                    for r in results))  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
