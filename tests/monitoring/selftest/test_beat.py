"""Beat: start a self-test when enabled and due; check every running run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring import tasks
from monitoring.models import ProbeRun
from monitoring.selftest import check, probe
from stmails.celery import app
from stmails.config import update_settings
from tests.bounces.mailboxes.helpers import configure

BOX = {"name": "probe box", "type": "pop", "host": "127.0.0.1", "port": 110,
       "username": "probe", "password": "pw", "tls_type": "none"}  # fmt: skip


def test_it_schedules_both_tasks():
    schedule = {e["task"]: e["schedule"] for e in app.conf.beat_schedule.values()}
    assert schedule["bounces.tasks.run_due_selftest"] == 300.0
    assert schedule["bounces.tasks.check_probe_runs"] == 60.0


@pytest.mark.django_db
def test_it_starts_a_run_only_when_enabled_and_due():
    now = timezone.now()
    assert probe.run_due_selftest(now) is None
    assert tasks.run_due_selftest.apply().get() is None

    update_settings({"probe.enabled": True, "probe.interval_hours": 6})
    first = probe.run_due_selftest(now)

    # Enabled but not configured: a failed run, so the alert rule sees it.
    assert (first.kind, first.status) == ("selftest", "failed")
    assert first.failed_step == "configuration"
    assert first.error == "no probe address (probe.address)"
    assert probe.run_due_selftest(now + timedelta(hours=5, minutes=59)) is None
    second = probe.run_due_selftest(now + timedelta(hours=6))
    assert second is not None and second.pk != first.pk
    latest = ProbeRun.objects.filter(kind="selftest", status="failed").order_by(
        "-started_at"
    )
    assert latest.first() == second


@pytest.mark.django_db
def test_it_names_each_configuration_problem():
    update_settings({"probe.address": "probe@example.test"})
    run = probe.start_selftest()
    assert run.error == (
        "probe.mailbox names no mailbox of Settings → Bounces → Mailboxes"
    )
    [box] = configure(BOX)
    update_settings(
        {"probe.mailbox": box["uuid"], "app.send_optin_confirmation": False}
    )
    run = probe.start_selftest()
    assert run.error == "confirmation mails are off (Settings → General)"
    assert run.subscriber_id is None


@pytest.mark.smtp
@pytest.mark.django_db(transaction=True)
def test_it_checks_every_running_run(mail_path):
    setup = mail_path()
    run = probe.run_round_trip(mailbox_uuid=setup.box["uuid"], address=setup.user.email)

    assert tasks.check_probe_runs.apply().get() == [run.pk]

    run.refresh_from_db()
    assert run.status == "passed"
    assert tasks.check_probe_runs.apply().get() == []


@pytest.mark.django_db
def test_it_refuses_a_second_selftest_and_leaves_a_claimed_run_alone():
    now = timezone.now()
    run = ProbeRun.objects.create(
        kind="selftest",
        token="t1",
        started_at=now,
        deadline_at=now,
        locked_until=now + timedelta(minutes=1),
    )

    with pytest.raises(probe.ProbeError, match="a self-test is already running"):
        probe.start_selftest(now)
    # Past its deadline, but another check holds it: this one does nothing.
    assert check.check_run(run.pk, now=now).status == "running"
    later = check.check_run(run.pk, now=now + timedelta(minutes=2))
    assert (later.status, later.failed_step) == ("failed", "subscribe")
    assert later.locked_until is None
