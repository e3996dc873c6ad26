"""A real `manage.py scan_mailboxes` process SIGKILLed halfway through a POP3 scan.

The other crash tests raise inside the scan, in this process; here the scanning
process dies without running any cleanup (no rollback handler, no QUIT, no
bookkeeping), as under the OOM killer or a power cut. The next scan must lose
no bounce and count none twice, wherever the kill landed.

PostgreSQL only: the scanning process must see the data this test committed.
"""

from __future__ import annotations

import os
import poplib
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from bounces.mailboxes import scanning
from bounces.models import (
    Bounce,
    BounceAction,
    MailboxMessage,
    MailboxScan,
    UnmatchedBounce,
)
from subscribers.models import Subscriber
from tests.bounces.mailboxes.helpers import configure
from tests.bounces.mailboxes.messages import dsn
from tests.celery_worker import require_postgresql, test_database_url

ROOT = Path(__file__).resolve().parents[3]
# Five batches of scanning.BATCH (200, each one transaction): a kill as soon as
# one or three of them are committed lands with most of the mailbox still to do.
TOTAL = 5 * scanning.BATCH
# Only a guard against a hung scanner, not a speed target.
GIVE_UP_AFTER = 120

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _start_scan(box: dict, var_dir: Path, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "CACHE_URL": "locmem://",
        "STMAILS_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "stmails.settings",
    }
    with log_path.open("wb") as log:
        return subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
            [sys.executable, "manage.py", "scan_mailboxes", "--mailbox", box["name"]],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def _kill_once_committed(proc: subprocess.Popen, bounces: int, log_path: Path):
    """SIGKILL the scanner as soon as `bounces` bounces are committed."""
    deadline = time.monotonic() + GIVE_UP_AFTER
    try:
        while Bounce.objects.count() < bounces:
            if proc.poll() is not None:
                pytest.fail(
                    f"the scan ended (exit {proc.returncode}) before the kill:\n"
                    + log_path.read_text(errors="replace")
                )
            if time.monotonic() > deadline:
                pytest.fail("the scan committed nothing in time")
            time.sleep(0.002)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _pop3_stat(user) -> tuple[int, int]:
    pop = poplib.POP3("127.0.0.1", user.server.ports["pop3"], timeout=10)
    try:
        pop.user(user.email)
        pop.pass_(user.password)
        return pop.stat()
    finally:
        pop.quit()


@pytest.mark.parametrize("kill_after", [1, 2 * scanning.BATCH + 1])
def test_it_loses_and_doubles_nothing_when_the_scan_process_is_killed(
    bounces_on, mail_user, tmp_path, kill_after
):
    require_postgresql()
    subs = Subscriber.objects.bulk_create(
        Subscriber(email=f"killed{i}@example.com", name=f"killed{i}")
        for i in range(TOTAL)
    )
    raws = [dsn(sub.email, n=i) for i, sub in enumerate(subs)]
    for raw in raws:
        mail_user.deliver(raw)
    [box] = configure(mail_user.box("pop", name="killed"))
    log_path = tmp_path / "scan.log"

    proc = _start_scan(box, tmp_path, log_path)
    _kill_once_committed(proc, kill_after, log_path)

    assert proc.returncode == -signal.SIGKILL
    committed = Bounce.objects.count()
    # Killed halfway, and only whole batches exist: each batch's bounces and its
    # memory rows are one transaction.
    assert kill_after <= committed < TOTAL
    assert committed % scanning.BATCH == 0
    assert MailboxMessage.objects.count() == committed
    assert mail_user.count() == TOTAL  # no QUIT: POP3 deleted nothing
    # The dead scan still holds the lock until its heartbeat goes stale.
    killed = MailboxScan.objects.get()
    assert killed.status == "running"
    with pytest.raises(scanning.ScanError, match="already being scanned"):
        scanning.scan_mailbox(box)
    MailboxScan.objects.update(
        heartbeat_at=timezone.now() - scanning.STALE_AFTER - timedelta(seconds=1)
    )

    again = scanning.scan_mailbox(box)

    assert again.error == ""
    assert (again.total, again.skipped, again.seen) == (
        TOTAL,
        committed,
        TOTAL - committed,
    )
    assert again.recorded == {"hard": TOTAL - committed, "soft": 0, "complaint": 0}
    assert (again.duplicates, again.errors, again.unmatched) == (0, 0, 0)
    assert (again.not_bounces, again.unparseable) == (0, 0)
    assert again.deleted == TOTAL
    # Every delivered message gave exactly one bounce, to its own subscriber.
    per_subscriber = Counter(Bounce.objects.values_list("subscriber_id", flat=True))
    assert per_subscriber == Counter({sub.id: 1 for sub in subs})
    keys = Bounce.objects.values_list("event_key", flat=True)
    assert len(set(keys)) == len(keys) == TOTAL
    assert Counter(BounceAction.objects.values_list("subscriber_id", flat=True)) == (
        Counter({sub.id: 1 for sub in subs})
    )
    assert not UnmatchedBounce.objects.exists()
    remembered = MailboxMessage.objects.values_list("uid", "disposed")
    assert len({uid for uid, _ in remembered}) == len(remembered) == TOTAL
    assert all(disposed for _, disposed in remembered)
    # The mailbox is empty: nothing processed is left for a third scan.
    assert mail_user.count() == 0
    assert _pop3_stat(mail_user) == (0, 0)
    killed.refresh_from_db()
    assert killed.status == "abandoned"
    finished = MailboxScan.objects.exclude(pk=killed.pk).get()
    assert finished.status == "finished"
    assert finished.counts["recorded"]["hard"] == TOTAL - committed
