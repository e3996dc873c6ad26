"""The header round trip: which tracking headers come back from a real mailbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring.selftest import check, probe
from stmails.models import OutgoingMail

pytestmark = [pytest.mark.smtp, pytest.mark.django_db(transaction=True)]

HEADERS = [
    "Message-ID",
    "X-Stmails-Campaign",
    "X-Stmails-Probe",
    "X-Stmails-Subscriber",
]


def report(run) -> dict[str, dict]:
    return {h["name"]: h for h in run.headers}


@pytest.mark.parametrize("kind", ["pop", "imap"])
def test_it_reports_every_header_intact(mail_path, kind):
    setup = mail_path(kind)

    run = probe.run_round_trip(mailbox_uuid=setup.box["uuid"], address=setup.user.email)
    assert run.status == "running"
    run = check.check_run(run.pk)

    assert run.status == "passed", run.steps
    assert [h["name"] for h in run.headers] == HEADERS
    assert {h["state"] for h in run.headers} == {"intact"}
    mail = OutgoingMail.objects.get(pk=run.outgoing_mail_id)
    assert (mail.kind, mail.to_email) == ("probe", setup.user.email)
    assert report(run)["X-Stmails-Probe"]["received"] == run.token
    assert report(run)["Message-ID"]["received"] == mail.message_id
    assert setup.user.count() == 0


def test_it_reports_changed_and_missing_headers(mail_path):
    setup = mail_path()
    setup.sink.strip = ("X-Stmails-Campaign",)
    setup.sink.rewrite = {"Message-ID": "<rewritten@relay.example.net>"}

    run = probe.run_round_trip(mailbox_uuid=setup.box["uuid"], address=setup.user.email)
    run = check.check_run(run.pk)

    mail = OutgoingMail.objects.get(pk=run.outgoing_mail_id)
    assert report(run)["Message-ID"] == {
        "name": "Message-ID",
        "sent": mail.message_id,
        "received": "<rewritten@relay.example.net>",
        "state": "changed",
    }
    assert report(run)["X-Stmails-Campaign"]["state"] == "missing"
    assert report(run)["X-Stmails-Campaign"]["received"] == ""
    assert report(run)["X-Stmails-Subscriber"]["state"] == "intact"
    assert report(run)["X-Stmails-Probe"]["state"] == "intact"
    assert (run.status, run.failed_step) == ("failed", "headers")
    assert run.error == (
        f"Message-ID changed (sent {mail.message_id!r}, received "
        "'<rewritten@relay.example.net>'); X-Stmails-Campaign missing"
    )


def test_it_finds_the_mail_by_its_subject_when_every_header_is_rewritten(mail_path):
    setup = mail_path()
    setup.sink.strip = ("X-Stmails-",)
    setup.sink.rewrite = {"Message-ID": "<other@relay.example.net>"}

    run = probe.run_round_trip(mailbox_uuid=setup.box["uuid"], address=setup.user.email)
    run = check.check_run(run.pk)

    assert run.step("mail arrived")["ok"] is True
    states = [h["state"] for h in run.headers]
    assert states == ["changed", "missing", "missing", "missing"]


def test_it_fails_when_the_mail_does_not_come_back_in_time(mail_path):
    setup = mail_path()
    setup.sink.deliver = False
    start = timezone.now()
    run = probe.run_round_trip(
        mailbox_uuid=setup.box["uuid"], address=setup.user.email, now=start
    )

    run = check.check_run(run.pk, now=start + timedelta(minutes=15))

    assert (run.status, run.failed_step) == ("failed", "mail arrived")
    assert run.headers == []


def test_it_refuses_a_second_run_and_bad_input(mail_path):
    setup = mail_path()
    setup.sink.deliver = False
    probe.run_round_trip(mailbox_uuid=setup.box["uuid"], address=setup.user.email)

    with pytest.raises(probe.ProbeError, match="already running"):
        probe.run_round_trip(mailbox_uuid=setup.box["uuid"], address=setup.user.email)
    with pytest.raises(probe.ProbeError) as e:
        probe.run_round_trip(mailbox_uuid=setup.box["uuid"], address="not-an-address")
    assert e.value.field == "address"
    with pytest.raises(probe.ProbeError) as e:
        probe.run_round_trip(
            mailbox_uuid="00000000-0000-4000-8000-00000000dead",
            address=setup.user.email,
        )
    assert e.value.field == "mailbox"
