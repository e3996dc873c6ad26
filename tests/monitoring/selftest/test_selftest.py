"""The self-test end to end: outgoing queue -> SMTP -> Dovecot -> POP3/IMAP ->
real HTTP confirmation on the live server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bounces.mailboxes import scanning
from bounces.models import MailboxMessage
from monitoring.models import ProbeRun
from monitoring.selftest import check, probe
from stmails.config import update_settings
from stmails.models import OutgoingMail
from subscribers.models import MailingList, Subscriber, Subscription

pytestmark = [pytest.mark.smtp, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, alice):
    """The live server, past its first-run setup page (an admin exists)."""
    update_settings({"app.root_url": live_server.url})
    return live_server


def steps(run: ProbeRun) -> dict[str, bool]:
    return {s["name"]: s["ok"] for s in run.steps}


@pytest.mark.parametrize("kind", ["pop", "imap"])
def test_it_passes_when_the_mail_arrives_intact_and_its_link_confirms(
    site, mail_path, kind
):
    setup = mail_path(kind)

    run = probe.start_selftest()

    assert run.status == "running"
    assert run.address == setup.user.email.replace("@", f"+stp{run.token}@")
    subscriber = Subscriber.objects.get(pk=run.subscriber_id)
    assert subscriber.email == run.address
    lst = MailingList.objects.get(name=probe.SELFTEST_LIST)
    assert (lst.type, lst.optin) == ("private", "double")
    assert setup.user.count() == 1  # the queue sent it, the sink stored it

    run = check.check_run(run.pk)

    assert run.status == "passed", run.steps
    assert steps(run) == {
        "subscribe": True,
        "mail sent": True,
        "mail arrived": True,
        "headers": True,
        "confirm link": True,
        "confirmed": True,
    }
    assert (run.failed_step, run.error) == ("", "")
    mail = OutgoingMail.objects.get(pk=run.outgoing_mail_id)
    report = {h["name"]: h for h in run.headers}
    assert set(report) == {
        "Message-ID",
        "X-Stmails-Subscriber",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
    }
    assert report["Message-ID"] == {
        "name": "Message-ID",
        "sent": mail.message_id,
        "received": mail.message_id,
        "state": "intact",
    }
    assert all(h["state"] == "intact" for h in report.values())
    # Result committed, then the mail deleted and the probe subscriber removed.
    assert setup.user.count() == 0
    assert not Subscriber.objects.filter(pk=run.subscriber_id).exists()
    assert not Subscription.objects.filter(list=lst).exists()


def test_it_finds_the_mail_where_the_bounce_scanner_moved_it(site, mail_path):
    setup = mail_path("imap", non_bounce="move", non_bounce_folder="Not bounces")
    update_settings({"bounce.enabled": True})
    run = probe.start_selftest()
    scan = scanning.scan_mailbox(setup.box)
    assert (scan.not_bounces, scan.moved) == (1, 1)
    assert setup.user.count("Not bounces") == 1

    run = check.check_run(run.pk)

    assert run.status == "passed", run.steps
    assert "Not bounces" in run.step("mail arrived")["detail"]
    assert setup.user.count("Not bounces") == 0
    assert MailboxMessage.objects.filter(outcome="not_bounce").count() == 1


def test_it_fails_at_mail_arrived_when_the_mail_never_comes(site, mail_path):
    setup = mail_path()
    setup.sink.deliver = False
    start = timezone.now()
    run = probe.start_selftest(now=start)

    run = check.check_run(run.pk, now=start + timedelta(minutes=1))
    assert run.status == "running"
    assert run.waiting_for == "mail arrived"
    assert Subscriber.objects.filter(pk=run.subscriber_id).exists()

    run = check.check_run(run.pk, now=start + timedelta(minutes=15))

    assert run.status == "failed"
    assert run.failed_step == "mail arrived"
    assert run.error == (
        f"no mail to {run.address} reached {setup.box['name']} within 15 minutes"
    )
    assert steps(run) == {"subscribe": True, "mail sent": True, "mail arrived": False}
    assert run.finished_at == start + timedelta(minutes=15)
    assert not Subscriber.objects.filter(pk=run.subscriber_id).exists()
    # Finished runs are left alone by later checks.
    assert check.check_run(run.pk, now=start + timedelta(minutes=20)).steps == run.steps


def test_it_fails_at_headers_when_a_relay_strips_the_tracking_headers(site, mail_path):
    setup = mail_path()
    setup.sink.strip = ("X-Stmails-",)
    run = probe.start_selftest()

    run = check.check_run(run.pk)

    assert run.status == "failed"
    assert run.failed_step == "headers"
    assert run.error == "X-Stmails-Subscriber missing"
    # Found by its plus tag and Message-ID; the rest of the run still went on.
    assert steps(run)["mail arrived"] is True
    assert steps(run)["confirmed"] is True
    states = {h["name"]: h["state"] for h in run.headers}
    assert states["X-Stmails-Subscriber"] == "missing"
    assert states["Message-ID"] == "intact"
    assert setup.user.count() == 0


def test_it_fails_at_confirm_link_when_the_link_is_broken(site, mail_path):
    setup = mail_path()
    update_settings({"app.root_url": site.url + "/wrong-root"})
    run = probe.start_selftest()

    run = check.check_run(run.pk)

    assert run.status == "failed"
    assert run.failed_step == "confirm link"
    assert run.error.startswith(site.url + "/wrong-root/subscription/optin/")
    assert run.error.endswith(": HTTP 404 from " + site.url.split("://")[1])
    assert "confirmed" not in steps(run)
    assert not Subscriber.objects.filter(pk=run.subscriber_id).exists()
    assert setup.user.count() == 0


class _Everyone(dict):
    """rcpt_replies that answer every address with one reply."""

    def __init__(self, reply: str):
        super().__init__()
        self.reply = reply

    def get(self, key, default=None):
        return self.reply


def test_it_fails_at_mail_sent_when_the_server_rejects_the_probe(site, mail_path):
    setup = mail_path()
    setup.sink.rcpt_replies = _Everyone("550 5.1.1 <probe>: no such user")

    run = probe.start_selftest()
    run = check.check_run(run.pk)

    assert run.status == "failed"
    assert run.failed_step == "mail sent"
    assert run.error.endswith("RCPT TO: 550 5.1.1 <probe>: no such user")
    assert setup.user.count() == 0


def test_the_selftest_list_stays_out_of_list_pages_pickers_and_the_api(
    client_alice, api_client, make_list
):
    make_list("Newsletter")
    hidden = probe.selftest_list()
    assert hidden.internal and probe.selftest_list() == hidden  # found again, once

    lists_page = client_alice.get("/lists/").content.decode()
    assert "Newsletter" in lists_page and probe.SELFTEST_LIST not in lists_page
    assert client_alice.get(f"/lists/{hidden.pk}/").status_code == 404
    picker = client_alice.get("/subscribers/new").content.decode()
    assert probe.SELFTEST_LIST not in picker
    names = [
        lst["name"] for lst in api_client.get("/api/lists").json()["data"]["results"]
    ]
    assert names == ["Newsletter"]
    assert api_client.get(f"/api/lists/{hidden.pk}").status_code == 404
