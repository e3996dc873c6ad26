"""The outgoing mail queue against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stmails import outbox
from stmails.models import OutgoingMail
from tests.stmails.outbox_helpers import (
    Sink,
    free_port,
    smtp_server,
    start_sink,
    use_servers,
)

pytestmark = [pytest.mark.smtp, pytest.mark.django_db]


@pytest.fixture
def sink():
    sink = Sink()
    controller = start_sink(sink)
    use_servers(smtp_server(controller.port))
    sink.port = controller.port
    yield sink
    controller.stop()


@pytest.fixture
def queue(django_capture_on_commit_callbacks):
    """queue_mail as a caller uses it: the send runs when the transaction commits."""

    def queue(**kw):
        kw.setdefault("to", "ann@example.com")
        kw.setdefault("subject", "Hello")
        kw.setdefault("text", "Hello Ann")
        with django_capture_on_commit_callbacks(execute=True):
            mail = outbox.queue_mail(**kw)
        mail.refresh_from_db()
        return mail

    return queue


def test_it_sends_a_queued_mail_with_its_headers(sink, queue):
    use_servers(
        smtp_server(sink.port, email_headers=[{"X-Server-Header": "from-settings"}])
    )
    mail = queue(
        subject="Confirm your subscription",
        html="<p>Hello Ann</p>",
        headers={"List-Unsubscribe": "<https://x.test/u/1>"},
        from_email="News <news@lists.example.org>",
        kind="optin",
    )

    assert mail.status == "sent"
    assert (mail.attempts, mail.smtp_code) == (1, 250)
    assert mail.smtp_response == "250 2.0.0 Ok: queued as 1234"
    assert mail.sent_at is not None and mail.last_error == ""
    assert mail.message_id.endswith("@lists.example.org>")
    [msg] = sink.messages
    assert msg["Message-ID"] == mail.message_id
    assert msg["From"] == "News <news@lists.example.org>"
    assert msg["To"] == "ann@example.com"
    assert msg["Subject"] == "Confirm your subscription"
    assert msg["List-Unsubscribe"] == "<https://x.test/u/1>"
    assert msg["X-Server-Header"] == "from-settings"
    assert msg.get_body(("plain",)).get_content().strip() == "Hello Ann"
    assert msg.get_body(("html",)).get_content().strip() == "<p>Hello Ann</p>"
    assert sink.envelopes[0].mail_from == "news@lists.example.org"


def test_it_uses_app_from_email_and_return_path_as_envelope_sender(sink, queue):
    use_servers(
        smtp_server(sink.port, email_headers=[{"Return-Path": "bounces@x.test"}])
    )
    mail = queue()
    assert mail.from_email == "stmails <noreply@stmails.example.com>"
    assert sink.envelopes[0].mail_from == "bounces@x.test"
    assert "Return-Path" not in sink.messages[0]


def test_it_sends_only_after_the_callers_transaction_commits(
    sink, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        mail = outbox.queue_mail(to="ann@example.com", subject="S", text="T")
    assert len(callbacks) == 1
    mail.refresh_from_db()
    assert mail.status == "queued" and sink.messages == []
    callbacks[0]()
    mail.refresh_from_db()
    assert mail.status == "sent" and len(sink.messages) == 1


def test_it_sends_a_claimed_mail_only_once(sink, queue):
    mail = queue()
    assert outbox.deliver_mail(mail.pk) == "skipped"
    assert len(sink.messages) == 1


def test_an_unreachable_server_is_recorded_as_a_connect_timeout(queue, monkeypatch):
    def never_connects(address, timeout=None, source_address=None):
        raise TimeoutError("timed out")

    monkeypatch.setattr(outbox.smtplib.socket, "create_connection", never_connects)
    use_servers(smtp_server(2525))
    mail = queue()
    assert mail.status == "awaiting_retry"
    assert mail.last_error == (
        f"127.0.0.1:2525: could not connect to 127.0.0.1:2525 "
        f"within {outbox.SMTP_TIMEOUT:g} s (timed out)"
    )


def test_it_waits_while_the_server_is_down_and_sends_after_the_retry(queue):
    port = free_port()  # nothing listens there yet
    use_servers(smtp_server(port))
    mail = queue()

    assert mail.status == "awaiting_retry"
    assert mail.attempts == 1
    assert mail.last_error == (
        f"127.0.0.1:{port}: cannot connect to 127.0.0.1:{port}: Connection refused"
    )
    assert not mail.permanent
    wait = mail.next_try_at - mail.claimed_at
    assert timedelta(seconds=59) < wait < timedelta(seconds=61)

    # Not due yet: nothing happens.
    assert (
        outbox.send_due_mail(now=mail.next_try_at - timedelta(seconds=1)).retried == 0
    )
    mail.refresh_from_db()
    assert mail.status == "awaiting_retry"

    sink = Sink()
    controller = start_sink(sink, port)
    try:
        result = outbox.send_due_mail(now=mail.next_try_at + timedelta(seconds=1))
    finally:
        controller.stop()
    assert result.retried == 1
    mail.refresh_from_db()
    assert (mail.status, mail.attempts, mail.last_error) == ("sent", 2, "")
    assert len(sink.messages) == 1


def test_it_backs_off_longer_each_time_then_fails(queue):
    use_servers(smtp_server(free_port()))
    mail = queue()
    waits = []
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        assert mail.status == "awaiting_retry"
        waits.append(round((mail.next_try_at - mail.claimed_at).total_seconds()))
        outbox.send_due_mail(now=mail.next_try_at + timedelta(seconds=1))
        mail.refresh_from_db()
    assert waits == list(outbox.BACKOFF)
    assert (mail.status, mail.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert not mail.permanent and mail.next_try_at is None


def test_it_retries_a_4xx_reply_to_rcpt(sink, queue):
    sink.rcpt_replies["busy@example.com"] = "451 4.3.0 Try again later"
    mail = queue(to="busy@example.com")
    assert mail.status == "awaiting_retry"
    assert (mail.smtp_code, mail.smtp_stage, mail.permanent) == (451, "RCPT TO", False)
    assert (
        mail.last_error == f"127.0.0.1:{sink.port}: RCPT TO: 451 4.3.0 Try again later"
    )
    assert sink.messages == []


def test_it_fails_a_5xx_reply_to_rcpt_for_good(sink, queue):
    sink.rcpt_replies["gone@example.com"] = "550 5.1.1 No such user"
    mail = queue(to="gone@example.com")
    assert mail.status == "failed"
    assert (mail.smtp_code, mail.smtp_stage, mail.permanent) == (550, "RCPT TO", True)
    assert mail.smtp_response == "550 5.1.1 No such user"
    assert mail.next_try_at is None
    assert outbox.send_due_mail(now=mail.claimed_at + timedelta(days=2)).retried == 0
    assert sink.messages == []


def test_it_tries_the_next_server_when_one_is_down(sink, queue):
    down = smtp_server(free_port(), uuid="33333333-3333-4333-8333-333333333333")
    disabled = smtp_server(
        free_port(), uuid="44444444-4444-4444-8444-444444444444", enabled=False
    )
    use_servers(down, disabled, smtp_server(sink.port))
    for _ in range(3):  # whichever server round robin starts with
        assert queue().status == "sent"
    assert len(sink.messages) == 3


def test_it_waits_when_no_server_is_enabled(sink, queue):
    use_servers(smtp_server(sink.port, enabled=False))
    mail = queue()
    assert mail.status == "awaiting_retry"
    assert mail.last_error == "no enabled SMTP server (Settings → SMTP)"


def _stuck(mail: OutgoingMail, phase: str) -> OutgoingMail:
    """The row as a worker killed mid-send leaves it."""
    OutgoingMail.objects.filter(pk=mail.pk).update(
        status="sending", phase=phase, attempts=1
    )
    mail.refresh_from_db()
    return mail


def test_it_sends_again_a_mail_whose_worker_died_before_data(sink, queue):
    use_servers(smtp_server(free_port()))
    mail = queue()
    use_servers(smtp_server(sink.port))
    mail = _stuck(mail, "connecting")
    # Young "sending" rows belong to a live worker: left alone.
    assert outbox.send_due_mail(now=mail.claimed_at).recovered == 0

    later = mail.claimed_at + outbox.SENDING_TIMEOUT + timedelta(seconds=1)
    assert outbox.send_due_mail(now=later).recovered == 1
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == ("sent", 2)
    assert len(sink.messages) == 1


def test_it_never_resends_a_mail_whose_worker_died_after_data(sink, queue):
    use_servers(smtp_server(free_port()))
    mail = _stuck(queue(), "data")
    use_servers(smtp_server(sink.port))

    later = mail.claimed_at + outbox.SENDING_TIMEOUT + timedelta(seconds=1)
    assert outbox.send_due_mail(now=later).unconfirmed == 1
    mail.refresh_from_db()
    assert mail.status == "sent_unconfirmed"
    assert "not sent again" in mail.last_error
    assert outbox.deliver_mail(mail.pk) == "skipped"
    assert sink.messages == []


def test_it_enqueues_again_a_queued_mail_whose_broker_message_was_lost(
    sink, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        mail = outbox.queue_mail(to="ann@example.com", subject="S", text="T")
    assert outbox.send_due_mail(now=mail.enqueued_at).requeued_lost == 0
    later = mail.enqueued_at + outbox.REENQUEUE_AFTER + timedelta(seconds=1)
    assert outbox.send_due_mail(now=later).requeued_lost == 1
    mail.refresh_from_db()
    assert mail.status == "sent" and len(sink.messages) == 1


def test_it_sends_crlf_line_endings(sink, queue):
    queue(text="line one\nline two\n")
    raw = sink.envelopes[0].original_content
    assert b"\r\nSubject: Hello\r\n" in raw
    assert b"line one\r\nline two" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_it_keeps_a_long_list_unsubscribe_header_readable(sink, queue):
    url = "<https://lists.example.org/subscription/unsubscribe/" + "a" * 120 + ">"
    queue(headers={"List-Unsubscribe": url})
    raw = sink.envelopes[0].original_content
    assert b"\r\nList-Unsubscribe: " + url.encode() + b"\r\n" in raw
