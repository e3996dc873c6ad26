"""evaluate_alerts: once per incident under concurrency, broken or switched-off
rules, the master switch, the beat task."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from bounces.models import UnmatchedBounce
from monitoring import tasks
from monitoring.alerts import rules, services
from monitoring.alerts.rules import Condition
from monitoring.models import AlertIncident
from stmails.celery import app
from stmails.config import update_settings
from stmails.models import OutgoingMail

from .conftest import open_incidents

pytestmark = pytest.mark.django_db

KEY = "unmatched_rising"


@pytest.fixture
def rising(only_rule):
    only_rule("unmatched_rising", **{"alerts.unmatched_per_hour": 5})
    UnmatchedBounce.objects.bulk_create(
        UnmatchedBounce(reason="no_recipient") for _ in range(6)
    )


def test_the_database_allows_one_open_incident_per_key(db):
    AlertIncident.objects.create(rule=KEY, key=KEY, summary="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        AlertIncident.objects.create(rule=KEY, key=KEY, summary="b")
    AlertIncident.objects.filter(key=KEY).update(closed_at=timezone.now())
    AlertIncident.objects.create(rule=KEY, key=KEY, summary="c")  # a new stretch


def test_a_run_that_lost_the_race_neither_opens_nor_notifies(alice, rising, evaluate):
    evaluate()
    assert OutgoingMail.objects.count() == 1
    settings = rules.alert_settings()
    now = timezone.now()
    # What a concurrent run with a stale view of the open incidents would do.
    assert not services._open(KEY, Condition(KEY, "again"), now, settings)
    (incident,) = open_incidents()
    assert services._close(incident, now, "recovered", settings)
    assert not services._close(incident, now, "recovered", settings)
    assert OutgoingMail.objects.count() == 2  # the alert and one recovery notice
    assert AlertIncident.objects.count() == 1


def test_it_keeps_incidents_of_a_rule_that_fails(rising, evaluate, monkeypatch):
    evaluate()

    def broken(ctx):
        raise RuntimeError("database on fire")

    rule = rules.RULES[KEY]
    monkeypatch.setitem(rules.RULES, KEY, rules.Rule(rule.slug, rule.title, broken))
    result = evaluate()
    assert result.errors == {KEY: "RuntimeError: database on fire"}
    assert result.recovered == [] and len(open_incidents()) == 1


def test_it_closes_without_notice_when_a_rule_is_switched_off(alice, rising, evaluate):
    evaluate()
    update_settings({"alerts.unmatched_per_hour": 0})
    assert evaluate().closed_off == [KEY]
    incident = AlertIncident.objects.get()
    assert incident.close_reason == "rule_off" and incident.recovery_notified_at is None
    assert OutgoingMail.objects.count() == 1  # the opening alert only


def test_it_changes_nothing_while_alerts_are_off(rising, evaluate):
    update_settings({"alerts.enabled": False})
    assert evaluate().skipped
    assert AlertIncident.objects.count() == 0
    update_settings({"alerts.enabled": True})
    evaluate()
    update_settings({"alerts.enabled": False})
    UnmatchedBounce.objects.update(created_at=timezone.now() - timedelta(hours=2))
    evaluate()
    assert len(open_incidents()) == 1


def test_the_beat_task_evaluates_the_rules(rising, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.evaluate_alerts.apply().get()
    assert result["opened"] == [KEY] and result["open"] == 1
    entry = app.conf.beat_schedule["evaluate-alerts"]
    assert entry == {"task": "webhooks.tasks.evaluate_alerts", "schedule": 60.0}


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_open_and_notify_once(alice, only_rule, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (SQLite serializes writers)")
    only_rule("unmatched_rising", **{"alerts.unmatched_per_hour": 5})
    UnmatchedBounce.objects.bulk_create(
        UnmatchedBounce(reason="no_recipient") for _ in range(6)
    )
    monkeypatch.setattr("stmails.outbox._enqueue", lambda ids: None)
    barrier = threading.Barrier(2)
    open_incident = services._open

    def in_step(*args):
        barrier.wait(timeout=10)  # both runs saw no open incident: both insert
        return open_incident(*args)

    monkeypatch.setattr(services, "_open", in_step)
    results = []

    def run():
        try:
            results.append(services.evaluate_alerts())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(r.opened) for r in results) == [0, 1]
    assert AlertIncident.objects.count() == 1
    assert OutgoingMail.objects.filter(kind="alert").count() == 1


def test_the_command_prints_conditions_or_evaluates(rising, capsys):
    call_command("evaluate_alerts", "--dry-run")
    out = capsys.readouterr().out
    assert "unmatched_rising: Unmatched bounces rising: 6 in the last hour" in out
    assert "queue_stuck: off" in out
    assert AlertIncident.objects.count() == 0
    call_command("evaluate_alerts")
    assert "opened    unmatched_rising" in capsys.readouterr().out
    assert len(open_incidents()) == 1
