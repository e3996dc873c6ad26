"""Check a running self-test or round trip: one look in its mailbox (monitoring/selftest/probe.py
describes the steps). A check claims its run with a short lease, so beat may
run it at any frequency; the mail is deleted only after the result is committed.
"""

from __future__ import annotations

import email
import logging
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser
from urllib.parse import urlsplit

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from bounces.mailboxes.client import MailboxClient, MailboxError, open_mailbox
from campaigns.sending.message import SUBSCRIBER_HEADER
from monitoring.models import ProbeRun
from monitoring.selftest.mail import (
    ConfirmForm,
    Wanted,
    compare_headers,
    describe_headers,
    find_confirm_link,
    is_probe_mail,
    page_alerts,
    parse_confirm_form,
)
from monitoring.selftest.probe import LOCK_FOR, Kind, Status, Step, find_mailbox, finish
from stmails import config
from stmails.lib import http
from stmails.models import OutgoingMail
from subscribers.models import Subscription

log = logging.getLogger(__name__)

# Newest messages looked at per folder and check: the probe's mail is recent.
SCAN_WINDOW = 200
HTTP_TIMEOUT = 15.0


# --- the mailbox ----------------------------------------------------------------------


def _folders(box: dict) -> list[str]:
    folders = [box.get("folder") or "INBOX"]
    # The bounce scanner moves mail that is not a bounce there: look there too.
    if box["type"] == "imap" and box.get("non_bounce") == "move":
        folders.append(box["non_bounce_folder"])
    return folders


@dataclass
class _Found:
    client: MailboxClient
    key: str
    raw: bytes
    folder: str


def _find_mail(box: dict, wanted: Wanted) -> _Found | None:
    """The run's mail, with its session still open (to delete it later)."""
    for i, folder in enumerate(_folders(box)):
        try:
            client = open_mailbox({**box, "folder": folder})
        except MailboxError:
            if i == 0:
                raise
            continue  # the scanner's folder does not exist yet
        try:
            keys = client.keys()[-SCAN_WINDOW:]
            for key, raw in client.fetch(list(reversed(keys))):
                headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
                if is_probe_mail(headers, wanted):
                    return _Found(client, key, raw, folder)
        except BaseException:
            client.abort()
            raise
        client.abort()
    return None


def _delete_mail(found: _Found, run: ProbeRun) -> None:
    try:
        found.client.delete([found.key])
        found.client.finish()
    except MailboxError as e:
        found.client.abort()
        log.warning("probe run %s: mail not deleted from the mailbox: %s", run.pk, e)


# --- the check ---------------------------------------------------------------------


def check_run(run_id: int, now: datetime | None = None) -> ProbeRun:
    """Step 2: one look at a running run; harmless at any frequency."""
    now = now or timezone.now()
    claimed = (
        ProbeRun.objects.filter(pk=run_id, status=Status.RUNNING)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + LOCK_FOR, checked_at=now)
    )
    run = ProbeRun.objects.get(pk=run_id)
    if not claimed:
        return run  # finished, or another check has it
    try:
        _check(run, now)
    finally:
        ProbeRun.objects.filter(pk=run_id).update(locked_until=None)
    run.refresh_from_db()
    return run


def _wait(run: ProbeRun, waiting_for: str) -> None:
    ProbeRun.objects.filter(pk=run.pk).update(waiting_for=waiting_for)


def _sent_step(mail: OutgoingMail | None) -> Step | None:
    """The "mail sent" step, or None while the queue still tries."""
    if mail is None:
        return Step("mail sent", False, "the queued mail is gone")
    if mail.status in (OutgoingMail.Status.SENT, OutgoingMail.Status.SENT_UNCONFIRMED):
        return Step("mail sent", True, f"sent via {mail.server}: {mail.smtp_response}")
    if mail.status == OutgoingMail.Status.FAILED:
        return Step("mail sent", False, mail.last_error or "the mail failed")
    return None


def _check(run: ProbeRun, now: datetime) -> None:
    timed_out = now >= run.deadline_at
    minutes = int((run.deadline_at - run.started_at).total_seconds() // 60)
    if run.outgoing_mail_id is None:
        finish(run, [Step("subscribe", False, "the run stopped before its mail")], now)
        return
    mail = OutgoingMail.objects.filter(pk=run.outgoing_mail_id).first()
    sent = _sent_step(mail)
    if sent is None:
        if timed_out:
            detail = f"not sent within {minutes} minutes ({mail.status})"
            if mail.last_error:
                detail += f": {mail.last_error}"
            finish(run, [Step("mail sent", False, detail)], now)
        else:
            _wait(run, "mail sent")
        return
    if not sent.ok:
        finish(run, [sent], now)
        return
    box = find_mailbox(run.mailbox_uuid)
    if box is None:
        detail = f"the mailbox {run.mailbox_name} was removed from the settings"
        finish(run, [sent, Step("mail arrived", False, detail)], now)
        return
    try:
        found = _find_mail(box, _wanted(run, mail))
    except MailboxError as e:
        if timed_out:
            detail = f"cannot read {box['name']}: {e.message}"
            finish(run, [sent, Step("mail arrived", False, detail)], now)
        else:
            _wait(run, f"mail arrived (last check: {e.message})")
        return
    if found is None:
        if timed_out:
            detail = (
                f"no mail to {run.address} reached {box['name']} "
                f"within {minutes} minutes"
            )
            finish(run, [sent, Step("mail arrived", False, detail)], now)
        else:
            _wait(run, "mail arrived")
        return
    try:
        steps, report = _examine(run, mail, found)
        finish(run, [sent, *steps], now, report=report)
    except BaseException:
        found.client.abort()
        raise
    # Committed: only now may the mailbox forget the mail.
    _delete_mail(found, run)


def _wanted(run: ProbeRun, mail: OutgoingMail) -> Wanted:
    ident = {k: v for k, v in mail.headers.items() if k == SUBSCRIBER_HEADER}
    return Wanted(token=run.token, message_id=mail.message_id, headers=ident)


def _examine(
    run: ProbeRun, mail: OutgoingMail, found: _Found
) -> tuple[list[Step], list[dict]]:
    msg = email.message_from_bytes(found.raw, policy=policy.compat32)
    where = found.folder if found.folder != "INBOX" else ""
    arrived = f"found in {run.mailbox_name}{' / ' + where if where else ''}"
    steps = [Step("mail arrived", True, arrived)]
    # Sorted: PostgreSQL's jsonb does not keep the order the headers were added.
    sent = {"Message-ID": mail.message_id, **dict(sorted(mail.headers.items()))}
    report = compare_headers(sent, msg)
    intact = all(e["state"] == "intact" for e in report)
    steps.append(Step("headers", intact, describe_headers(report)))
    if run.kind == Kind.SELFTEST:
        steps.extend(_confirm_steps(run, msg))
    return steps, report


def _short(link: str) -> str:
    # The signed token is long and of no use to the reader.
    head, _, token = link.rpartition("/")
    return f"{head}/{token[:8]}…" if len(token) > 8 else link


def _post_confirmation(form: ConfirmForm, own_host: str) -> None:
    """Press the page's button. The confirmation answers with a redirect to its
    result page (Post/Redirect/Get), which is not followed: the database check
    after it is the verdict."""
    try:
        http.post(
            form.action,
            form.encoded(),
            timeout=HTTP_TIMEOUT,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            also_allowed=[own_host],
        )
    except http.HttpError as e:
        if e.status not in (302, 303):
            raise


def _confirm_steps(run: ProbeRun, msg: Message) -> list[Step]:
    path = reverse("subscription:optin", args=["x"])[:-1]
    link = find_confirm_link(msg, path)
    if link is None:
        return [Step("confirm link", False, f"no link to …{path}… in the mail")]
    # The site itself may sit on a private address: its own host is allowed.
    own_host = urlsplit(config.get_value("app.root_url")).hostname or ""
    try:
        # No redirects: the link in the mail must answer itself (a redirect
        # to https means app.root_url is wrong), and the error names the target.
        page = http.get(
            link, https_only=False, timeout=HTTP_TIMEOUT, also_allowed=[own_host]
        )
        html = page.body.decode("utf-8", "replace")
        form = parse_confirm_form(html, link)
        if form is None:
            said = page_alerts(html) or "no confirm button on the page"
            return [Step("confirm link", False, f"{_short(link)}: {said}")]
        _post_confirmation(form, own_host)
    except http.HttpError as e:
        return [Step("confirm link", False, f"{_short(link)}: {e.message}")]
    steps = [Step("confirm link", True, f"opened {_short(link)} and confirmed")]
    statuses = set(
        Subscription.objects.filter(subscriber_id=run.subscriber_id).values_list(
            "status", flat=True
        )
    )
    if statuses == {Subscription.Status.CONFIRMED}:
        steps.append(Step("confirmed", True, "the subscription is confirmed"))
    else:
        found = ", ".join(sorted(statuses)) or "no subscription"
        steps.append(Step("confirmed", False, f"after the confirmation: {found}"))
    return steps
