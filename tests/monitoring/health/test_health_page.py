"""The Health page (/health/status) and the plain liveness check (/health)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from stmails.models import Heartbeat, OutgoingMail

pytestmark = pytest.mark.django_db


def mail(**kw) -> OutgoingMail:
    return OutgoingMail.objects.create(
        to_email="ann@example.com", from_email="a@x.test", subject="Confirm",
        text="T", message_id="<1@x.test>", **kw,
    )  # fmt: skip


def test_it_needs_a_login(alice):
    response = Client().get("/health/status")
    assert response.status_code == 302
    assert response["Location"].startswith("/login")


def test_the_liveness_check_stays_plain():
    response = Client().get("/health")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_it_says_all_is_well(client_alice):
    now = timezone.now()
    for name in ("worker", "beat"):
        Heartbeat.objects.create(name=name, seen_at=now)
    mail(status="sent")
    page = client_alice.get("/health/status").content.decode()
    assert "Mail is going out: nothing is stuck." in page
    assert "Stuck:" not in page
    assert 'href="/health/status" class="active">Health</a>' in page


def test_it_shows_waiting_mail_errors_and_dead_processes(client_alice):
    Heartbeat.objects.create(
        name="worker", seen_at=timezone.now() - timedelta(minutes=30)
    )
    mail(
        status="awaiting_retry",
        attempts=2,
        created_at=timezone.now() - timedelta(minutes=40),
        claimed_at=timezone.now(),
        next_try_at=timezone.now() + timedelta(minutes=5),
        last_error="127.0.0.1:2525: cannot connect to 127.0.0.1:2525: Connection refused",
    )
    mail(status="sent_unconfirmed", last_error="the worker stopped")
    page = client_alice.get("/health/status").content.decode()
    assert "Stuck: the oldest unsent mail is 40 min old" in page
    assert "Stuck: mail is waiting and no worker has been seen for 5 min" in page
    assert "Stuck: mail awaits a retry and celery beat" in page
    assert "1 mail may not have arrived" in page
    assert "last seen 30 min ago" in page
    assert "never seen" in page  # beat
    assert page.count("cannot connect to 127.0.0.1:2525: Connection refused") == 2
    assert "Awaiting Retry" in page
    assert "Mail is going out" not in page
