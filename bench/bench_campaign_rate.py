"""Benchmark: the configured sending rate is the rate (issue 15, item 4).

A 1,000-subscriber campaign with the default Sending settings (concurrency 10 ×
message rate 10 = a ceiling of 100 messages/s) goes through the real path as
under `make run`: start_campaign, the campaign lane's own `celery worker`
(`--queues campaigns`, 2 processes: fewer than the 10 slots), an aiosmtpd sink
on loopback. Prints the rate measured at the sink (first to last message)
beside the ceiling, and a floor measured in the same run: the same campaign
with no rate limit (what this machine can send right now). Exits 1 when the
rate is under 90 % of min(ceiling, floor) or over the ceiling by more than 2 %,
or a message is missing or doubled.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/stmails_bench \\
        .venv/bin/python bench/bench_campaign_rate.py [--subscribers 1000] \\
        [--processes 2] [--broker redis://127.0.0.1:6379/14]
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

LIST_NAME = "Bench rate list"
FLOOR, OVERSHOOT = 0.90, 1.02


class TimingSink:
    def __init__(self):
        self.received: list[tuple[float, str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        now = time.monotonic()
        self.received.extend((now, rcpt) for rcpt in envelope.rcpt_tos)
        return "250 2.0.0 Ok"


def fill(n: int) -> int:
    from subscribers.models import MailingList, Subscriber, Subscription

    lst, _ = MailingList.objects.get_or_create(name=LIST_NAME)
    Subscription.objects.filter(list=lst).delete()
    Subscriber.objects.filter(email__endswith="@rate.bench.example").delete()
    subscribers = Subscriber.objects.bulk_create(
        Subscriber(email=f"r{i}@rate.bench.example", name=f"Reader {i}")
        for i in range(n)
    )
    Subscription.objects.bulk_create(
        Subscription(subscriber=s, list=lst, status="confirmed") for s in subscribers
    )
    return lst.pk


def send_once(name: str, list_id: int, sink: TimingSink, n: int, limit_s: float):
    """Send one fresh campaign; (messages/s at the sink, each once, status)."""
    from django.db import transaction

    from campaigns.models import Campaign, CampaignList
    from campaigns.sending import engine

    Campaign.objects.filter(name=name).delete()
    campaign = Campaign.objects.create(
        name=name,
        subject="Hello {{ subscriber.name }}",
        from_email="Bench <news@bench.example>",
        content_type="html",
        body="<p>Dear {{ subscriber.name }}, " + "lorem ipsum " * 100 + "</p>",
    )
    CampaignList.objects.create(campaign=campaign, list_id=list_id, list_name=LIST_NAME)
    sink.received.clear()
    with transaction.atomic():
        engine.start_campaign(campaign.pk)
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        campaign.refresh_from_db()
        if campaign.status == "finished":
            break
        time.sleep(0.5)
    times = sorted(t for t, _ in sink.received)
    emails = [e for _, e in sink.received]
    exact = len(emails) == len(set(emails)) == n
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    return ((len(times) - 1) / span if span else 0.0), exact, campaign.status, span


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    os.environ["CELERY_BROKER_URL"] = args.broker
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    configure("stmails-bench-rate-")
    setup_django()
    from aiosmtpd.controller import Controller

    from campaigns.sending.pace import ceiling
    from stmails.celery import CAMPAIGN_QUEUE, app
    from stmails.config import REGISTRY, get_values, update_settings
    from stmails.models import Heartbeat
    from tests.stmails.outbox_helpers import smtp_server

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    app.control.purge()
    n = args.subscribers
    list_id = fill(n)
    sink = TimingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    # Default Sending settings; one server with room for every slot.
    limits = ("app.concurrency", "app.message_rate", "app.message_sliding_window")
    defaults = {name: REGISTRY[name].default for name in limits}
    update_settings(
        defaults
        | {
            "smtp": [smtp_server(controller.port, max_conns=10)],
            "campaign.breaker_enabled": False,
        }
    )
    rate = ceiling(get_values("app.concurrency", "app.message_rate"))
    Heartbeat.objects.filter(name="worker").delete()
    log = open(Path(os.environ["STMAILS_VAR_DIR"]) / "campaigns.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "stmails", "worker",
         "--queues", CAMPAIGN_QUEUE, "--concurrency", str(args.processes),
         "-l", "warning", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not Heartbeat.objects.filter(name="worker").exists():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit("the worker did not start")
            time.sleep(0.2)
        limit_s = 60 + 3 * n / rate
        measured, exact, status, span = send_once(
            "Bench rate", list_id, sink, n, limit_s
        )
        # The floor: what this machine sends right now with no rate limit
        # (second, so the worker is warm for it too).
        update_settings({"app.message_rate": 100_000})
        floor, floor_exact, _, _ = send_once(
            "Bench rate floor", list_id, sink, n, limit_s
        )
        update_settings(defaults)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        log.close()
        controller.stop()

    reachable = min(rate, floor)
    ok = (
        exact
        and floor_exact
        and status == "finished"
        and FLOOR * reachable <= measured <= OVERSHOOT * rate
    )
    print(f"load average: {os.getloadavg()}")
    print(
        f"campaign of {n} subscribers, {args.processes} worker processes on the "
        f"{CAMPAIGN_QUEUE!r} lane, status {status}, "
        f"{'each once' if exact and floor_exact else 'MISSING OR DOUBLED'}"
    )
    print(f"floor (same run, no rate limit): {floor:.1f} messages/s")
    print(
        f"default settings: {measured:.1f} messages/s ({n} in {span:.2f} s) against "
        f"the ceiling {rate:g}/s (concurrency × rate): ratio {measured / rate:.3f}; "
        f"against min(ceiling, floor) {reachable:.1f}/s: "
        f"ratio {measured / reachable:.3f}"
    )
    print(
        f"target: {FLOOR:.0%} of min(ceiling, floor) to {OVERSHOOT:.0%} of the "
        f"ceiling: {'OK' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
