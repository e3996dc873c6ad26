"""Benchmark: a 20,000-subscriber campaign to a local SMTP server, 1/4/8 connections.

For each connection count a fresh campaign goes through the real path:
start_campaign (delivery rows by INSERT ... ON CONFLICT DO NOTHING), a real
`celery worker` (prefork, one process per connection) on Redis, an aiosmtpd
sink on loopback. Prints messages/s from the start until the campaign is
finished, and the workers' RSS early and late in the run (memory must not
grow with the campaign). Exits 1 when a run is under 300 messages/s (the best
of the runs counts: the machine has 2 cores), a message is missing or doubled,
or a worker's memory grows by more than 30 MB.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/stmails_bench \\
        .venv/bin/python bench/bench_campaign_send.py [--subscribers 20000] \\
        [--conns 1,4,8] [--broker redis://127.0.0.1:6379/12]
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, configure, free_port, setup_django  # noqa: E402

TARGET_PER_SECOND = 300.0
MAX_RSS_GROWTH_MB = 30.0
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


class CountingSink:
    def __init__(self):
        self.recipients: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        self.recipients.extend(envelope.rcpt_tos)
        return "250 2.0.0 Ok"


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


def run(conns: int, n: int, list_id: int, port: int, sink: CountingSink) -> dict:
    from django.db import transaction

    from campaigns.models import Campaign, CampaignList
    from campaigns.sending import engine
    from stmails.config import update_settings
    from stmails.models import Heartbeat
    from tests.stmails.outbox_helpers import smtp_server

    update_settings(
        {
            "smtp": [smtp_server(port, max_conns=conns)],
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
    sink.recipients.clear()
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
        start = time.monotonic()
        with transaction.atomic():
            engine.start_campaign(campaign.pk)
        queued = time.monotonic() - start
        limit = start + max(120.0, n / 50)
        while time.monotonic() < limit:
            campaign.refresh_from_db()
            rss = children_rss_mb(worker.pid)
            if rss:
                samples.append((len(sink.recipients) / n, max(rss)))
            if campaign.status == "finished":
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - start
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        log.close()
    early = [rss for progress, rss in samples if 0.05 <= progress <= 0.25]
    late = [rss for progress, rss in samples if progress >= 0.75]
    return {
        "conns": conns,
        "status": campaign.status,
        "queued_s": queued,
        "elapsed_s": elapsed,
        "per_second": len(sink.recipients) / elapsed,
        "received": len(sink.recipients),
        "distinct": len(set(sink.recipients)),
        "sent": campaign.sent,
        "rss_early": max(early) if early else 0.0,
        "rss_late": max(late) if late else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--conns", default="1,4,8")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args()
    os.environ["CELERY_BROKER_URL"] = args.broker
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    configure("stmails-bench-campaign-")
    setup_django()
    from aiosmtpd.controller import Controller

    from stmails.celery import app

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    app.control.purge()
    list_id = fill(args.subscribers)
    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    results = []
    try:
        for conns in [int(c) for c in args.conns.split(",")]:
            results.append(run(conns, args.subscribers, list_id, controller.port, sink))
    finally:
        controller.stop()

    print(f"load average: {os.getloadavg()}")
    print(f"campaign of {args.subscribers} subscribers")
    ok = True
    for r in results:
        exact = r["received"] == r["distinct"] == r["sent"] == args.subscribers
        growth = r["rss_late"] - r["rss_early"]
        flat = growth <= MAX_RSS_GROWTH_MB
        ok = ok and exact and flat and r["status"] == "finished"
        print(
            f"{r['conns']} connection(s): {r['per_second']:.0f} messages/s "
            f"({r['received']} in {r['elapsed_s']:.1f} s, rows made in "
            f"{r['queued_s']:.1f} s), status {r['status']}, "
            f"{'each once' if exact else 'MISSING OR DOUBLED'}; worker RSS "
            f"{r['rss_early']:.0f} MB early, {r['rss_late']:.0f} MB late"
            f"{'' if flat else ' (GROWS)'}"
        )
    best = max(r["per_second"] for r in results)
    ok = ok and best >= TARGET_PER_SECOND
    print(
        f"target: >= {TARGET_PER_SECOND:.0f} messages/s (best {best:.0f}), "
        f"flat memory, each subscriber once: {'OK' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
