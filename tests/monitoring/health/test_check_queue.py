"""`manage.py check_queue`: the queue's state, and exit 1 when mail is stuck."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from stmails import outbox
from stmails.config import update_settings
from stmails.models import Heartbeat, OutgoingMail
from tests.stmails.outbox_helpers import free_port, smtp_server, use_servers

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("check_queue", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as e:
        code = e.code
    return code, out.getvalue(), err.getvalue()


def alive(*names, ago=timedelta(seconds=10)):
    for name in names:
        Heartbeat.objects.update_or_create(
            name=name, defaults={"seen_at": timezone.now() - ago}
        )


def mail(**kw) -> OutgoingMail:
    kw.setdefault("to_email", "ann@example.com")
    return OutgoingMail.objects.create(
        from_email="a@x.test", subject="S", text="T", message_id="<1@x.test>", **kw
    )


def test_it_exits_0_when_nothing_is_stuck():
    alive("worker", "beat")
    mail(status="sent")
    code, out, err = run()
    assert code == 0, err
    assert "queued: 0  sending: 0  awaiting retry: 0  failed: 0  sent: 1" in out
    assert "oldest unsent mail: -" in out
    assert "worker: alive (last seen 10 s ago)" in out
    assert "beat: alive" in out
    assert out.rstrip().endswith("OK")
    assert err == ""


def test_it_exits_1_when_the_oldest_queued_mail_is_too_old():
    alive("worker", "beat")
    mail(status="queued", created_at=timezone.now() - timedelta(minutes=20))
    code, out, err = run()
    assert code == 1
    assert "oldest unsent mail: 20 min" in out
    assert "STUCK: the oldest unsent mail is 20 min old (more than 15 min)" in err
    assert run("--stuck-after", "30")[0] == 0


def test_it_exits_1_when_mail_waits_and_no_worker_is_alive():
    alive("beat")
    alive("worker", ago=timedelta(minutes=7))
    mail(status="queued")
    code, out, err = run()
    assert code == 1
    assert "worker: DOWN (last seen 7 min ago)" in out
    assert "STUCK: mail is waiting and no worker has been seen for 5 min" in err
    assert run("--heartbeat-age", "10")[0] == 0


def test_it_only_warns_about_a_dead_worker_when_nothing_waits():
    code, out, _ = run()
    assert code == 0
    assert "worker: never seen" in out
    assert "warning: no worker has been seen for 5 min" in out


def test_it_shows_mail_waiting_for_a_down_server(django_capture_on_commit_callbacks):
    alive("worker", "beat")
    port = free_port()
    use_servers(smtp_server(port))
    with django_capture_on_commit_callbacks(execute=True):
        outbox.queue_mail(to="ann@example.com", subject="S", text="T")
    code, out, _ = run()
    assert code == 0  # waiting for its retry, not stuck yet
    assert "awaiting retry: 1" in out
    assert "last SMTP errors:" in out
    assert (
        f"awaiting_retry to ann@example.com (attempt 1): 127.0.0.1:{port}: "
        f"cannot connect to 127.0.0.1:{port}: Connection refused"
    ) in out


def test_it_exits_1_when_retries_wait_and_beat_is_down():
    alive("worker")
    mail(status="awaiting_retry", next_try_at=timezone.now())
    code, _, err = run()
    assert code == 1
    assert "celery beat has not been seen for 5 min" in err


def test_it_explains_switched_off_confirmations_and_smtp_servers():
    alive("worker", "beat")
    update_settings(
        {
            "app.send_optin_confirmation": False,
            "smtp": [smtp_server(25, enabled=False)],
        }
    )
    code, out, _ = run()
    assert code == 0
    assert "enabled SMTP servers: 0" in out
    assert "warning: no SMTP server is enabled: no mail can go out" in out
    assert "subscription confirmations (double opt-in) are switched off" in out
    mail(status="queued")
    code, _, err = run()
    assert code == 1
    assert "STUCK: mail is waiting and no SMTP server is enabled" in err


def test_it_refuses_a_bad_threshold():
    with pytest.raises(CommandError, match="expected a whole number of minutes"):
        call_command("check_queue", "--stuck-after", "soon")
