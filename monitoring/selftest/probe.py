"""The self-test and the header round trip: send a real mail, read it back.

Self-test (every probe.interval_hours when probe.enabled, or "Run now"):
1. `start_selftest` subscribes probe.address+stp<token> to the hidden double
   opt-in list through subscribers.services.create_subscriber, the path of the
   UI and the API, so the confirmation mail is built and queued as for anyone.
2. `check.check_run` (beat, every minute) then checks, until probe.wait_minutes pass:
   a. "mail sent": the outgoing queue sent it;
   b. "mail arrived": the probe mailbox (a bounce.mailboxes entry) holds it;
   c. "headers": its Message-ID and every header the queue recorded
      (X-Stmails-Subscriber, List-Unsubscribe, ...) came back intact;
   d. "confirm link": the link works as a person uses it, over real HTTP:
      open the page, press its button (the page's POST form);
   e. "confirmed": the subscription is confirmed in the database.
3. The result is committed (with the probe subscriber deleted, so runs are
   independent); only then is the mail deleted from the mailbox.
A failed step fails the run (failed_step names the first); a run not done by
its deadline fails at the step it was waiting for. The Alerts page raises the
latest failed self-test.

Round trip (`run_round_trip`): one mail with a Message-ID and the campaign
headers (X-Stmails-Campaign, X-Stmails-Subscriber) plus X-Stmails-Probe, sent
through the queue to an address of a mailbox; the check reports each header as
intact, changed or missing.
"""

from __future__ import annotations

import logging
import secrets
import uuid as uuidlib
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from bounces.mailboxes.scanning import all_mailboxes
from campaigns.sending.message import CAMPAIGN_HEADER, SUBSCRIBER_HEADER
from monitoring.models import ProbeRun
from monitoring.selftest.mail import PROBE_HEADER, tagged_address
from stmails import config
from stmails.models import OutgoingMail
from stmails.outbox import queue_mail
from subscribers.models import MailingList, Subscriber
from subscribers.services import SubscriberError, create_subscriber

log = logging.getLogger(__name__)

Kind, Status = ProbeRun.Kind, ProbeRun.Status
SELFTEST_LIST = "stmails self-test (hidden)"
SELFTEST_TAG = "stmails-selftest"
PROBE_NAME = "stmails self-test"
# A check claims its run this long; a killed worker's claim then expires.
LOCK_FOR = timedelta(minutes=5)
SETTINGS = ("probe.address", "probe.mailbox", "probe.wait_minutes")


class ProbeError(Exception):
    """A run that cannot start; `field` names the input at fault (or "")."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


@dataclass
class Step:
    name: str
    ok: bool
    detail: str = ""


# --- mailboxes ------------------------------------------------------------------------


def find_mailbox(uuid: Any) -> dict | None:
    """The bounce.mailboxes entry with this uuid (credentials decrypted), or None."""
    return next((b for b in all_mailboxes() if b["uuid"] == str(uuid)), None)


# --- starting runs -----------------------------------------------------------------------


def selftest_list() -> MailingList:
    """The hidden list: internal (out of list pages and pickers), private (never
    on the public form), double opt-in."""
    lst = MailingList.objects.filter(internal=True).order_by("id").first()
    if lst is None:
        return MailingList.objects.create(
            name=SELFTEST_LIST,
            internal=True,
            type=MailingList.Type.PRIVATE,
            optin=MailingList.Optin.DOUBLE,
            tags=[SELFTEST_TAG],
            description="Used by the scheduled self-test (Settings → Self-test). "
            "Its only member is the probe address during a run. Do not send "
            "campaigns to it.",
        )
    if (lst.type, lst.optin) != (MailingList.Type.PRIVATE, MailingList.Optin.DOUBLE):
        lst.type, lst.optin = MailingList.Type.PRIVATE, MailingList.Optin.DOUBLE
        lst.save(update_fields=["type", "optin", "updated_at"])
    return lst


def _claim(kind: str, now: datetime, wait: int, **fields: Any) -> ProbeRun:
    try:
        with transaction.atomic():
            return ProbeRun.objects.create(
                kind=kind,
                token=secrets.token_hex(8),
                started_at=now,
                deadline_at=now + timedelta(minutes=wait),
                **fields,
            )
    except IntegrityError:
        what = "self-test" if kind == Kind.SELFTEST else "header round trip"
        raise ProbeError("", f"a {what} is already running") from None


def _configuration_problem(values: dict[str, Any], box: dict | None) -> str:
    if not values["probe.address"]:
        return "no probe address (probe.address)"
    if box is None:
        return "probe.mailbox names no mailbox of Settings → Bounces → Mailboxes"
    if not config.get_value("app.send_optin_confirmation"):
        return "confirmation mails are off (Settings → General)"
    return ""


@transaction.atomic
def start_selftest(now: datetime | None = None) -> ProbeRun:
    """Step 1: claim a run and subscribe the probe address (its mail is sent on commit).

    Raises ProbeError when a self-test is running. A configuration problem is a
    failed run (step "configuration"): enabled but unusable must alert.
    """
    now = now or timezone.now()
    values = config.get_values(*SETTINGS)
    box = find_mailbox(values["probe.mailbox"]) if values["probe.mailbox"] else None
    run = _claim(Kind.SELFTEST, now, values["probe.wait_minutes"])
    problem = _configuration_problem(values, box)
    if problem:
        finish(run, [Step("configuration", False, problem)], now=now)
        return run
    run.address = tagged_address(values["probe.address"], run.token)
    run.mailbox_uuid, run.mailbox_name = box["uuid"], box["name"]
    run.save(update_fields=["address", "mailbox_uuid", "mailbox_name"])
    try:
        subscriber = create_subscriber(
            email=run.address, name=PROBE_NAME, list_ids=[selftest_list().id]
        )
    except SubscriberError as e:
        finish(run, [Step("subscribe", False, f"{run.address}: {e.message}")], now=now)
        return run
    run.subscriber_id = subscriber.pk
    run.save(update_fields=["subscriber_id"])
    mail = (
        OutgoingMail.objects.filter(subscriber_id=subscriber.pk, kind="optin")
        .order_by("-id")
        .first()
    )
    if mail is None:
        finish(run, [Step("subscribe", False, "no confirmation mail was queued")], now)
        return run
    run.outgoing_mail_id = mail.pk
    detail = f"subscribed {run.address} to “{SELFTEST_LIST}”; confirmation mail queued"
    run.steps = [asdict(Step("subscribe", True, detail))]
    run.waiting_for = "mail sent"
    run.save()
    return run


@transaction.atomic
def run_round_trip(
    *, mailbox_uuid: Any, address: Any, now: datetime | None = None
) -> ProbeRun:
    """Queue the round-trip mail to `address` (delivered to the mailbox); the
    check reads it back. ProbeError names the bad field."""
    now = now or timezone.now()
    box = find_mailbox(mailbox_uuid)
    if box is None:
        raise ProbeError(
            "mailbox", "choose a mailbox of Settings → Bounces → Mailboxes"
        )
    address = str(address or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        raise ProbeError("address", "enter the email address of that mailbox") from None
    wait = config.get_value("probe.wait_minutes")
    run = _claim(
        Kind.ROUND_TRIP,
        now,
        wait,
        address=address,
        mailbox_uuid=box["uuid"],
        mailbox_name=box["name"],
    )
    headers = {
        CAMPAIGN_HEADER: str(uuidlib.uuid4()),
        SUBSCRIBER_HEADER: str(uuidlib.uuid4()),
        PROBE_HEADER: run.token,
    }
    mail = queue_mail(
        to=address,
        subject=f"stmails header round trip {run.token}",
        text="A test mail of stmails' header round trip: it checks which tracking "
        "headers reach this mailbox unchanged. stmails deletes it once read.",
        headers=headers,
        kind="probe",
    )
    run.outgoing_mail_id = mail.pk
    run.steps = [asdict(Step("send", True, f"queued to {address}"))]
    run.waiting_for = "mail sent"
    run.save()
    return run


def run_due_selftest(now: datetime | None = None) -> ProbeRun | None:
    """Beat: start a self-test when enabled and the last one is older than the interval."""
    now = now or timezone.now()
    values = config.get_values("probe.enabled", "probe.interval_hours")
    if not values["probe.enabled"]:
        return None
    last = ProbeRun.objects.filter(kind=Kind.SELFTEST).order_by("-started_at").first()
    if last is not None and (
        last.is_running
        or last.started_at + timedelta(hours=values["probe.interval_hours"]) > now
    ):
        return None
    try:
        return start_selftest(now)
    except ProbeError:
        return None  # another beat got there first


def running_run_ids() -> list[int]:
    return list(
        ProbeRun.objects.filter(status=Status.RUNNING).values_list("pk", flat=True)
    )


# --- finishing runs ------------------------------------------------------------------


@transaction.atomic
def finish(
    run: ProbeRun,
    steps: list[Step],
    now: datetime,
    *,
    report: list[dict] | None = None,
) -> None:
    """Record the result (once: a finished run is left alone) and delete the
    probe subscriber."""
    all_steps = [*run.steps, *(asdict(s) for s in steps)]
    failed = next((s for s in all_steps if not s["ok"]), None)
    updated = ProbeRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(
        status=Status.FAILED if failed else Status.PASSED,
        steps=all_steps,
        failed_step=failed["name"] if failed else "",
        error=failed["detail"] if failed else "",
        headers=report or [],
        finished_at=now,
        waiting_for="",
    )
    if updated and run.subscriber_id:
        # Only the subscriber this run created (same tagged address).
        Subscriber.objects.filter(pk=run.subscriber_id, email=run.address).delete()
    run.refresh_from_db()
    if failed:
        log.warning("probe run %s (%s) failed at %s", run.pk, run.kind, failed["name"])
