"""Benchmark: the dashboard (GET /) with 1,000,000 bounces stored.

Target: the default page (last 7 days) in under 500 ms at p95; the other
periods are printed too (90 days reads the most rows).

Fills DATABASE_URL (PostgreSQL; default .../stmails_bench) with 20,000
subscribers, 20 campaigns with 200,000 sent deliveries, `--bounces` bounces
spread over 120 days from six kinds of source (api, ses, a custom provider,
two IMAP mailboxes, smtp), 20,000 unmatched bounces, 50,000 webhook events,
5,000 actions and 2,000 mailbox scans, by INSERT ... SELECT generate_series
(kept between runs; --refill rebuilds them). Times the view in-process with
Django's test client (the whole request path: middleware, queries, template),
logged in as an admin.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/stmails_bench_e \\
        .venv/bin/python bench/bench_dashboard.py [--bounces 200000] [--requests 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import configure, emit, setup_django  # noqa: E402 (the path above makes it importable)

SUBSCRIBERS = 20_000
DELIVERIES = 200_000
DEFAULT_P95_MS = 500.0
MAILBOX_A = "6f1c0a52-52a4-4f43-9a4a-0c3cbbf1d0aa"
MAILBOX_B = "6f1c0a52-52a4-4f43-9a4a-0c3cbbf1d0bb"

DELETE_SQL = [
    # Inbox rows of other benchmarks point at bounces (bench database only).
    "UPDATE webhook_events SET bounce_id = NULL WHERE bounce_id IS NOT NULL",
    "DELETE FROM bounces",
    "DELETE FROM bounce_actions",
    "DELETE FROM bounce_unmatched",
    "DELETE FROM bounce_mailbox_scans",
    "DELETE FROM webhook_events",
    "DELETE FROM campaign_deliveries",
    "DELETE FROM campaigns WHERE name LIKE 'Dash campaign %%'",
    "DELETE FROM subscribers WHERE email LIKE 'dash%%@bench.example'",
]
FILL_SQL = [
    """INSERT INTO subscribers (uuid, email, name, attribs, status, created_at, updated_at)
       SELECT gen_random_uuid(), 'dash' || g || '@bench.example', 'Dash ' || g, '{}',
              'enabled', now(), now()
       FROM generate_series(1, %(subscribers)s) g""",
    # Deliveries: 10,000 per campaign, sent over each campaign's day.
    """WITH camps AS (
         SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn
         FROM campaigns WHERE name LIKE 'Dash campaign %%')
       INSERT INTO campaign_deliveries (campaign_id, subscriber_id, email, status,
            message_id, attempts, last_error, permanent, sent_at, created_at)
       SELECT camps.id, g, 'r' || g || '@bench.example', 'sent', '', 1, '', false,
              now() - make_interval(days => (camps.rn * 6)::int, secs => g %% 3600),
              now()
       FROM generate_series(1, %(deliveries)s) g
       JOIN camps ON camps.rn = g %% 20""",
    """WITH subs AS (
         SELECT id, email, row_number() OVER (ORDER BY id) - 1 AS rn
         FROM subscribers WHERE email LIKE 'dash%%@bench.example'),
       camps AS (
         SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn
         FROM campaigns WHERE name LIKE 'Dash campaign %%')
       INSERT INTO bounces (subscriber_id, campaign_id, type, source, meta, created_at,
                            email, event_key, provider_message_id, status_code, recorded_at,
                            reason)
       SELECT subs.id, camps.id, (ARRAY['hard', 'soft', 'complaint'])[1 + g %% 3],
              (ARRAY['api', 'ses', 'custom:acme', 'imap', 'imap', 'smtp'])[1 + g %% 6],
              CASE WHEN g %% 6 IN (3, 4)
                   THEN jsonb_build_object('mailbox', 'box' || (g %% 6 - 2), 'n', g)
                   ELSE jsonb_build_object('n', g) END,
              now() - make_interval(secs => (g::float8 * %(spread)s)::int),
              subs.email, NULL, '', '5.1.1', now(),
              (ARRAY['userunknown', 'mailboxfull', 'feedback'])[1 + g %% 3]
       FROM generate_series(1, %(bounces)s) g
       JOIN subs ON subs.rn = g %% %(subscribers)s
       LEFT JOIN camps ON camps.rn = g %% 25""",
    """INSERT INTO bounce_unmatched (reason, detail, email, type, status_code,
            mailbox_uuid, mailbox_name, created_at, origin, source)
       SELECT (ARRAY['not_subscriber', 'no_recipient', 'unparseable'])[1 + g %% 3], '',
              'x' || g || '@elsewhere.example', 'hard', '', NULL, 'box' || (1 + g %% 2),
              now() - make_interval(mins => g * 8), 'mailbox', ''
       FROM generate_series(1, 20000) g""",
    """INSERT INTO webhook_events (provider, event_key, status, type, email, message_id,
            campaign_uuid, subscriber_uuid, status_code, diagnostic, payload, headers,
            received_at, attempts, error, reason)
       SELECT (ARRAY['ses', 'custom:acme'])[1 + g %% 2], 'e' || g,
              (ARRAY['processed', 'processed', 'ignored', 'failed'])[1 + g %% 4],
              (ARRAY['hard', 'soft', 'ignored'])[1 + g %% 3], '', '', '', '', '', '',
              '{}', '{}', now() - make_interval(mins => g * 3), 1, '', ''
       FROM generate_series(1, 50000) g""",
    """INSERT INTO bounce_actions (subscriber_id, email, action, bounce_type, bounce_count,
            threshold, window_days, last_bounce_id, trigger, reason, deleted_bounces,
            created_at, previous_status, changed_subscriptions, reverted_at)
       SELECT NULL, 'a' || g || '@bench.example',
              (ARRAY['blocklist', 'unsubscribe', 'delete'])[1 + g %% 3], 'hard', 1, 1, 0,
              0, 'bounce', 'bench', 0, now() - make_interval(mins => g * 30), '', '{}',
              NULL
       FROM generate_series(1, 5000) g""",
    """INSERT INTO bounce_mailbox_scans (mailbox_uuid, mailbox_name, status, dry_run, total,
            done, counts, error, started_at, heartbeat_at, finished_at)
       SELECT (ARRAY[%(box_a)s, %(box_b)s])[1 + g %% 2]::uuid, 'box' || (1 + g %% 2),
              'finished', false, 10, 10, '{"seen": 10}', '',
              now() - make_interval(mins => g * 15), now() - make_interval(mins => g * 15),
              now() - make_interval(mins => g * 15)
       FROM generate_series(1, 2000) g""",
]
TABLES = ("bounces", "bounce_unmatched", "webhook_events", "bounce_actions",
          "bounce_mailbox_scans", "campaign_deliveries", "campaigns", "subscribers")  # fmt: skip


def fill(bounces: int, refill: bool) -> None:
    from django.db import connection

    from bounces.models import Bounce
    from campaigns.models import Campaign
    from stmails.config import update_settings

    update_settings(
        {
            "bounce.ses_enabled": True,
            "bounce.postmark": {"enabled": True},
            "bounce.mailboxes": [
                {"uuid": MAILBOX_A, "name": "box1", "type": "imap",
                 "host": "mail.bench.example", "username": "b1"},
                {"uuid": MAILBOX_B, "name": "box2", "type": "imap",
                 "host": "mail.bench.example", "username": "b2"},
            ],
        }
    )  # fmt: skip
    # Other benchmarks fill the same table: only this script's rows will do.
    ours = Bounce.objects.filter(email__startswith="dash").count()
    if not refill and ours == bounces == Bounce.objects.count():
        print(f"{bounces} bounces already stored (use --refill to rebuild)")
        return
    started = time.perf_counter()
    params = {
        "subscribers": SUBSCRIBERS,
        "deliveries": DELIVERIES,
        "bounces": bounces,
        # Spread over 120 days, whatever the count.
        "spread": 120 * 86400 / bounces,
        "box_a": MAILBOX_A,
        "box_b": MAILBOX_B,
    }
    with connection.cursor() as cursor:
        for sql in DELETE_SQL:
            cursor.execute(sql, params)
    Campaign.objects.bulk_create(
        Campaign(name=f"Dash campaign {g}", status="finished", sent=DELIVERIES // 20)
        for g in range(1, 21)
    )
    with connection.cursor() as cursor:
        for sql in FILL_SQL:
            cursor.execute(sql, params)
        for table in TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"filled {bounces} bounces in {time.perf_counter() - started:.1f} s")


def time_page(client, path: str, n: int) -> dict:
    for _ in range(2):
        client.get(path)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code}")
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[max(int(len(times) * 0.95) - 1, 0)],
        "received": response.context["flow"].received,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bounces", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--refill", action="store_true")
    args = parser.parse_args()

    configure("stmails-bench-dashboard-")
    setup_django()
    fill(args.bounces, args.refill)

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # response.context, as in the tests
    admin, _ = get_user_model().objects.get_or_create(
        username="bench-dashboard", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(SERVER_NAME="localhost")
    client.force_login(admin)
    passed = True
    for period in ("24h", "7d", "30d", "90d"):
        target = period == "7d"
        result = time_page(client, f"/?period={period}", args.requests)
        verdict = ""
        if target:
            ok = result["p95"] < DEFAULT_P95_MS
            passed &= ok
            verdict = (
                f" (target p95 < {DEFAULT_P95_MS:.0f} ms: {'ok' if ok else 'MISSED'})"
            )
        print(
            f"GET /?period={period}: {result['received']} bounces in the period, "
            f"p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms{verdict}"
        )
        emit("dashboard", f"GET /?period={period} p95", round(result["p95"], 1),
             unit="ms", target=f"< {DEFAULT_P95_MS:.0f}" if target else "",
             passed=result["p95"] < DEFAULT_P95_MS if target else None,
             note=f"{result['received']:,} bounces in the period")  # fmt: skip
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
