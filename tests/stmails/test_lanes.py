"""Mail lanes: bulk work (campaign slots, CSV imports, mailbox scans) runs on
queues of its own, so system mail, heartbeats and webhook processing on the
default queue never wait behind it; both launchers consume every lane."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from stmails.celery import (
    CAMPAIGN_QUEUE,
    DEFAULT_QUEUE,
    IMPORT_QUEUE,
    SCAN_QUEUE,
    app,
)

ROOT = Path(__file__).resolve().parents[2]

BULK = {
    "campaigns.tasks.send_campaign": CAMPAIGN_QUEUE,
    "subscribers.tasks.run_import": IMPORT_QUEUE,
    "bounces.tasks.scan_mailbox": SCAN_QUEUE,
}
# Work that must never wait behind a campaign or an import.
SYSTEM = (
    "stmails.tasks.send_mail",  # opt-in confirmations, test sends, alerts, tx
    "stmails.tasks.send_due_mail",
    "stmails.tasks.record_beat_heartbeat",
    "stmails.tasks.deliver_event",
    "webhooks.tasks.process_webhook_event",
    "webhooks.tasks.process_webhook_events",
    "webhooks.tasks.evaluate_alerts",
    "campaigns.tasks.recover_stalled_campaigns",
)


def queue_of(task_name: str) -> str:
    app.loader.import_default_modules()
    assert task_name in app.tasks, task_name  # a renamed task would route silently
    return app.amqp.router.route({}, task_name)["queue"].name


def test_bulk_work_has_its_own_lanes():
    assert {name: queue_of(name) for name in BULK} == BULK
    assert len({DEFAULT_QUEUE, *BULK.values()}) == 4


def test_system_mail_heartbeats_and_webhooks_stay_on_the_default_lane():
    assert {queue_of(name) for name in SYSTEM} == {DEFAULT_QUEUE}


def test_beat_schedules_nothing_onto_a_bulk_lane():
    scheduled = [entry["task"] for entry in app.conf.beat_schedule.values()]
    assert {queue_of(name) for name in scheduled} == {DEFAULT_QUEUE}


def test_make_run_starts_one_worker_per_lane():
    run = (ROOT / "bin" / "run").read_text()
    workers = re.findall(
        r"^start (\w+) \"\$VENV/bin/celery\" -A stmails worker \\\n(.*?)--hostname",
        run,
        re.M | re.S,
    )
    queues = {name: re.search(r"--queues (\S+)", args)[1] for name, args in workers}
    assert queues == {
        "worker": DEFAULT_QUEUE,
        "scans": SCAN_QUEUE,
        "campaigns": CAMPAIGN_QUEUE,
        "imports": IMPORT_QUEUE,
    }
    # The campaign worker's processes are set on their own.
    assert '--concurrency "${CAMPAIGN_CONCURRENCY:-2}"' in dict(workers)["campaigns"]


def test_docker_compose_starts_one_worker_per_lane():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    queues = {
        name: next(a for a in svc["command"] if a.startswith("--queues="))
        for name, svc in services.items()
        if isinstance(svc.get("command"), list) and "worker" in svc["command"]
    }
    assert queues == {
        "worker": f"--queues={DEFAULT_QUEUE}",
        "scan-worker": f"--queues={SCAN_QUEUE}",
        "campaign-worker": f"--queues={CAMPAIGN_QUEUE}",
        "import-worker": f"--queues={IMPORT_QUEUE}",
    }
    for name in queues:
        assert services[name]["healthcheck"]["test"], name
