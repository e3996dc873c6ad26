"""A bounce of a transactional mail counts against its subscriber, through the
recording path every bounce takes (listmonk's #2193 drops these)."""

from __future__ import annotations

import pytest

from bounces.models import Bounce, UnmatchedBounce
from bounces.recording import record_bounces
from bounces.services import NewBounce
from stmails.config import update_settings
from stmails.models import OutgoingMail

pytestmark = pytest.mark.django_db


@pytest.fixture
def tpl(make_tx_template):
    return make_tx_template(subject="Your code", body="<p>{{ tx_data.code }}</p>")


@pytest.mark.smtp
def test_an_smtp_rejection_counts_against_the_subscriber(
    tx_sink, post_tx, make_subscriber, tpl
):
    update_settings({"bounce.enabled": True})
    gone = make_subscriber(email="gone@example.com")
    r = post_tx({"subscriber_id": gone.pk, "template_id": tpl.pk})
    assert r.status_code == 200, r.content
    mail = OutgoingMail.objects.get()
    assert (mail.status, mail.smtp_stage) == ("failed", "RCPT TO")
    bounce = Bounce.objects.get()
    assert (bounce.subscriber_id, bounce.type, bounce.source) == (
        gone.pk, "hard", "smtp",
    )  # fmt: skip
    gone.refresh_from_db()
    assert gone.status == "blocklisted"


def test_a_mailbox_bounce_quoting_the_message_id_finds_the_subscriber(
    post_tx, make_subscriber, tpl
):
    update_settings({"bounce.enabled": True})
    ann = make_subscriber(email="ann@example.com")
    r = post_tx({"subscriber_email": ann.email, "template_id": tpl.pk}, send=False)
    assert r.status_code == 200, r.content
    mail = OutgoingMail.objects.get()
    # A DSN for the mail after a forward: only our Message-ID ties it to Ann.
    [result] = record_bounces(
        [
            NewBounce(
                type="hard",
                source="mailbox",
                origin="mailbox",
                email="ann@forwarded.example",
                original_message_id=mail.message_id,
                event_key="tx-dsn-1",
            )
        ]
    )
    assert result.error is None
    bounce = Bounce.objects.get()
    assert (bounce.subscriber_id, bounce.type) == (ann.pk, "hard")
    ann.refresh_from_db()
    assert ann.status == "blocklisted"


def test_an_external_mail_bounce_is_tied_to_nobody(post_tx, make_subscriber, tpl):
    update_settings({"bounce.enabled": True})
    r = post_tx(
        {
            "subscriber_email": "stranger@example.net",
            "subscriber_mode": "external",
            "template_id": tpl.pk,
        },
        send=False,
    )
    assert r.status_code == 200, r.content
    mail = OutgoingMail.objects.get()
    [result] = record_bounces(
        [
            NewBounce(
                type="hard",
                source="mailbox",
                origin="mailbox",
                email="stranger@example.net",
                original_message_id=mail.message_id,
                event_key="tx-dsn-2",
            )
        ]
    )
    assert result.error is not None and result.error.status == 404
    assert not Bounce.objects.exists()
    assert UnmatchedBounce.objects.count() == 1
