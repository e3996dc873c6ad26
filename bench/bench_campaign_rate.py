"""Benchmark: the configured sending rate is the rate (issue 15, item 4).

A 1,000-subscriber campaign with the default Sending settings (concurrency 10 ×
message rate 10 = a ceiling of 100 messages/s) under `make run`'s own setup:
`bin/run` starts web, every worker lane and beat on SQLite and the serverless
filesystem broker in a fresh STMAILS_VAR_DIR (no DATABASE_URL, no Redis); this
script starts the campaign in that database and an aiosmtpd sink on loopback
receives it. Prints:

- the rate at the sink, first to last message (n-1 gaps over the span), beside
  the ceiling, and their ratio;
- the most messages the sink got in any 1-second window (the ceiling holds per
  second, not only on average);
- a floor from the same run: the same sink receiving the same messages (the
  bytes it just got), prebuilt, over one smtplib connection: what this machine
  can do at all.

Exits 1 unless the rate is at least 95 % of the ceiling, no 1-second window
holds more than the ceiling, every subscriber got the mail exactly once and the
campaign finished.

    .venv/bin/python bench/bench_campaign_rate.py [--subscribers 1000] \\
        [--web-port 9450] [--sink-port 9451]
"""

from __future__ import annotations

import argparse
import bisect
import logging
import os
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, emit, free_port  # noqa: E402

LIST_NAME = "Bench rate list"
TARGET = 0.95


class TimingSink:
    def __init__(self):
        self.received: list[tuple[float, str, bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        now = time.monotonic()
        self.received.extend(
            (now, rcpt, envelope.original_content) for rcpt in envelope.rcpt_tos
        )
        return "250 2.0.0 Ok"


def make_run_environment(var: Path, database_url: str) -> None:
    """What `make run` sees with no variables set, in a private var dir."""
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"):
        os.environ.pop(name, None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.update(
        STMAILS_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="stmails.settings",
        CELERY_TASK_ALWAYS_EAGER="false",
        # bin/run would generate these in var/; set here so this process and
        # bin/run's share them (stored SMTP settings are encrypted).
        SECRET_KEY="bench-only-secret-key-not-for-production-0123456789",
        STMAILS_ENCRYPTION_KEY="YmVuY2gtb25seS1lbmNyeXB0aW9uLWtleS0zMmJ5dGU=",
        # This checkout's code wins over any installed copy in the workers too.
        PYTHONPATH=str(ROOT),
    )


def fill(n: int) -> int:
    from subscribers.models import MailingList, Subscriber, Subscription

    lst = MailingList.objects.create(name=LIST_NAME)
    subscribers = Subscriber.objects.bulk_create(
        Subscriber(email=f"r{i}@rate.bench.example", name=f"Reader {i}")
        for i in range(n)
    )
    Subscription.objects.bulk_create(
        Subscription(subscriber=s, list=lst, status="confirmed") for s in subscribers
    )
    return lst.pk


def start_make_run(var: Path, port: int) -> subprocess.Popen:
    """bin/run as `make run` starts it; returns once the campaign lane is ready."""
    from django.db import connections

    connections.close_all()
    out = open(var / "run.out", "wb")  # noqa: SIM115 (lives as long as bin/run)
    proc = subprocess.Popen(
        [str(ROOT / "bin" / "run")],
        cwd=ROOT,
        env=os.environ | {"PORT": str(port)},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    ready = var / "log" / "campaigns.log"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"bin/run stopped; see {var / 'run.out'}")
        if ready.exists() and b" ready." in ready.read_bytes():
            return proc
        time.sleep(0.2)
    stop_make_run(proc)
    sys.exit(f"the campaign worker did not start; see {var / 'log'}")


def stop_make_run(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)  # bin/run stops web, workers and beat
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def send_campaign(list_id: int, sink: TimingSink, n: int, limit_s: float) -> str:
    from campaigns.models import Campaign, CampaignList
    from campaigns.sending import engine

    campaign = Campaign.objects.create(
        name="Bench rate",
        subject="Hello {{ subscriber.name }}",
        from_email="Bench <news@bench.example>",
        content_type="html",
        body="<p>Dear {{ subscriber.name }}, " + "lorem ipsum " * 100 + "</p>",
    )
    CampaignList.objects.create(campaign=campaign, list_id=list_id, list_name=LIST_NAME)
    engine.start_campaign(campaign.pk)
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        campaign.refresh_from_db()
        if campaign.status == "finished" and len(sink.received) >= n:
            break
        time.sleep(0.5)
    return campaign.status


def floor_rate(port: int, messages: list[tuple[str, bytes]], sink: TimingSink) -> float:
    """The same messages, prebuilt, over one connection as fast as it goes."""
    sink.received.clear()
    with smtplib.SMTP("127.0.0.1", port) as conn:
        for rcpt, data in messages:
            conn.sendmail("news@bench.example", [rcpt], data)
    return rate_of([t for t, _, _ in sink.received])


def rate_of(times: list[float]) -> float:
    """Messages per second over the whole seconds from the first message (the
    last, partial second left out: at the ceiling it may hold anything from
    1 to 100 messages); first to last when the run is under a second."""
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    if span >= 1.0:
        whole = int(span)
        return bisect.bisect_left(times, times[0] + whole) / whole
    return (len(times) - 1) / span if span else 0.0


def busiest_second(times: list[float]) -> int:
    """Most messages in any window [t, t + 1 s) that starts at a message."""
    times = sorted(times)
    return max(
        (bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)),
        default=0,
    )


def per_second(times: list[float]) -> list[int]:
    """Messages in each second of the run, from the first message."""
    counts = [0] * (int(times[-1] - times[0]) + 1) if times else []
    for t in times:
        counts[int(t - times[0])] += 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--web-port", type=int, default=0, help="default: a free one")
    parser.add_argument("--sink-port", type=int, default=0, help="default: a free one")
    parser.add_argument("--keep", action="store_true", help="keep the var dir")
    parser.add_argument(
        "--database-url",
        default="",
        help="default: make run's own, SQLite in the var dir (an empty "
        "PostgreSQL database here compares the two)",
    )
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="stmails-bench-rate-"))
    make_run_environment(var, args.database_url)
    import django

    django.setup()
    from aiosmtpd.controller import Controller
    from django.core.management import call_command

    from campaigns.sending.pace import ceiling
    from stmails.config import get_values, update_settings
    from tests.stmails.outbox_helpers import smtp_server

    call_command("migrate", verbosity=0, interactive=False)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's chatter
    n = args.subscribers
    list_id = fill(n)
    sink = TimingSink()
    sink_port = args.sink_port or free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink_port)
    controller.start()
    # Default Sending settings; one server with room for every slot.
    update_settings({"smtp": [smtp_server(sink_port, max_conns=10)]})
    rate = ceiling(get_values("app.concurrency", "app.message_rate"))
    run = start_make_run(var, args.web_port or free_port())
    try:
        status = send_campaign(list_id, sink, n, 120 + 3 * n / rate)
        times = sorted(t for t, _, _ in sink.received)
        emails = [e for _, e, _ in sink.received]
        exact = len(emails) == len(set(emails)) == n
        prebuilt = [(e, data) for _, e, data in sink.received]
        floor = floor_rate(sink_port, prebuilt, sink)
    finally:
        stop_make_run(run)
        controller.stop()
        if not args.keep:
            shutil.rmtree(var, ignore_errors=True)

    measured = rate_of(times)
    busiest = busiest_second(times)
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    seconds = per_second(times)
    ok = (
        exact
        and status == "finished"
        and TARGET * rate <= measured <= rate
        and max(seconds) <= rate
        and busiest <= rate
    )
    print(f"load average: {os.getloadavg()}")
    print(
        f"campaign of {n} subscribers under bin/run (SQLite, filesystem broker, "
        f"campaign lane of 2 processes): status {status}, "
        f"{'each once' if exact else 'MISSING OR DOUBLED'}"
    )
    print(f"floor (same sink, same messages prebuilt, one smtplib connection): "
          f"{floor:.1f} messages/s")  # fmt: skip
    print(
        f"default settings: {measured:.1f} messages/s ({n} in {span:.2f} s, first "
        f"to last), "
        f"ceiling {rate:g}/s (concurrency × rate): ratio {measured / rate:.3f}"
    )
    print(f"busiest 1-second window: {busiest} messages (ceiling {rate:g})")
    print(f"messages in each second of the run: {seconds}")
    print(
        f"target: {TARGET:.0%} to 100 % of the ceiling on average, never more than "
        f"the ceiling in any second: {'OK' if ok else 'MISSED'}"
        + (f" (var dir kept: {var})" if args.keep else "")
    )
    name = "campaign rate (bin/run)"
    emit(name, "messages/s", round(measured, 1), unit="messages/s",
         target=f"{TARGET * rate:g}-{rate:g} (ceiling)", floor=round(floor, 1),
         passed=TARGET * rate <= measured <= rate,
         note=f"ratio {measured / rate:.3f} of the ceiling")  # fmt: skip
    emit(name, "busiest 1-second window", max(busiest, max(seconds, default=0)),
         unit="messages", target=f"<= {rate:g}",
         passed=max(seconds, default=0) <= rate and busiest <= rate)  # fmt: skip
    emit(name, "each subscriber once", len(emails), target=f"exactly {n}, once",
         passed=exact and status == "finished", note=f"status {status}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
