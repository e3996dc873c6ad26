"""A 5xx reply to RCPT TO becomes a hard bounce with source "smtp"."""

from __future__ import annotations

import pytest

from bounces import smtp_rejections
from bounces.models import Bounce
from stmails import outbox
from stmails.config import update_settings
from stmails.models import OutgoingMail
from tests.stmails.outbox_helpers import Sink, smtp_server, start_sink, use_servers

pytestmark = [pytest.mark.smtp, pytest.mark.django_db]


@pytest.fixture
def sink():
    sink = Sink()
    sink.rcpt_replies["gone@example.com"] = "550 5.1.1 <gone@example.com>: No such user"
    sink.rcpt_replies["blocked@example.com"] = "554 5.7.1 Service unavailable; blocked"
    controller = start_sink(sink)
    use_servers(smtp_server(controller.port))
    yield sink
    controller.stop()


@pytest.fixture
def bounces_on():
    update_settings({"bounce.enabled": True})


def _send_to(subscriber, capture, **kw):
    with capture(execute=True):
        mail = outbox.queue_mail(
            to=subscriber.email, subject="S", text="T",
            subscriber_id=subscriber.pk, **kw,
        )  # fmt: skip
    mail.refresh_from_db()
    return mail


def test_it_records_a_hard_bounce_and_applies_the_action(
    sink, bounces_on, make_subscriber, django_capture_on_commit_callbacks
):
    gone = make_subscriber(email="gone@example.com")
    mail = _send_to(gone, django_capture_on_commit_callbacks, kind="optin")

    assert mail.status == "failed" and mail.permanent
    assert mail.rejection_handled_at is not None
    bounce = Bounce.objects.get()
    assert (bounce.type, bounce.source, bounce.subscriber_id) == (
        "hard",
        "smtp",
        gone.pk,
    )
    assert bounce.email == "gone@example.com"
    assert (bounce.status_code, bounce.reason) == ("5.1.1", "userunknown")
    assert bounce.event_key == f"smtp:{mail.pk}"
    assert bounce.provider_message_id == mail.message_id
    assert bounce.meta["smtp_response"] == "550 5.1.1 <gone@example.com>: No such user"
    gone.refresh_from_db()
    assert gone.status == "blocklisted"  # the default hard rule: 1 -> blocklist


def test_it_finds_the_subscriber_by_address_without_an_id(
    sink, bounces_on, make_subscriber, django_capture_on_commit_callbacks
):
    gone = make_subscriber(email="Gone@Example.com")
    with django_capture_on_commit_callbacks(execute=True):
        outbox.queue_mail(to="gone@example.com", subject="S", text="T")
    assert Bounce.objects.get().subscriber_id == gone.pk


def test_it_records_no_bounce_for_a_4xx_reply(
    sink, bounces_on, make_subscriber, django_capture_on_commit_callbacks
):
    sink.rcpt_replies["busy@example.com"] = "452 4.2.2 Mailbox full"
    mail = _send_to(
        make_subscriber(email="busy@example.com"), django_capture_on_commit_callbacks
    )
    assert mail.status == "awaiting_retry"
    assert not Bounce.objects.exists()


def test_the_sweep_converts_a_rejection_whose_task_got_lost(
    sink, bounces_on, make_subscriber, django_capture_on_commit_callbacks
):
    gone = make_subscriber(email="gone@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        mail = outbox.queue_mail(to=gone.email, subject="S", text="T")
        # The signal fires on commit; losing it leaves the row unhandled.
    OutgoingMail.objects.filter(pk=mail.pk).update(rejection_handled_at=None)
    Bounce.objects.all().delete()

    assert smtp_rejections.record_smtp_rejections() == 1
    assert Bounce.objects.filter(event_key=f"smtp:{mail.pk}").count() == 1
    assert smtp_rejections.record_smtp_rejections() == 0
    # Recording twice is harmless: the event key is unique.
    OutgoingMail.objects.filter(pk=mail.pk).update(rejection_handled_at=None)
    assert smtp_rejections.record_smtp_rejection(mail.pk) == "already recorded"
    assert Bounce.objects.count() == 1


def test_it_records_nothing_while_bounce_processing_is_off(
    sink, make_subscriber, django_capture_on_commit_callbacks
):
    mail = _send_to(
        make_subscriber(email="gone@example.com"), django_capture_on_commit_callbacks
    )
    assert mail.status == "failed"
    assert mail.rejection_handled_at is not None
    assert not Bounce.objects.exists()


def test_it_skips_an_address_that_is_no_subscriber(
    sink, bounces_on, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mail = outbox.queue_mail(to="gone@example.com", subject="S", text="T")
    mail.refresh_from_db()
    assert mail.rejection_handled_at is not None
    assert not Bounce.objects.exists()


def test_a_rejection_for_a_block_is_a_soft_bounce_with_its_reason(
    sink, bounces_on, make_subscriber, django_capture_on_commit_callbacks
):
    # The reply's reason decides the type, as for every bounce: a block says
    # nothing about the address.
    sub = make_subscriber(email="blocked@example.com")
    _send_to(sub, django_capture_on_commit_callbacks, kind="optin")
    bounce = Bounce.objects.get()
    assert (bounce.type, bounce.reason) == ("soft", "blocked")
    sub.refresh_from_db()
    assert sub.status == "enabled"
