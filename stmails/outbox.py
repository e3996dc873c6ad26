"""The durable outgoing mail queue: every mail stmails sends goes through here.

The `outgoing_mail` table is the queue; Celery only carries row ids. States:

    queued ──claim──> sending ──250 to DATA──> sent
       ^                 │ 4xx, connection error, timeout ──> awaiting_retry ─┐
       │                 │ 5xx (or out of attempts) ──────────> failed        │
       └───────────── send_due_mail (beat, when next_try_at is due) <─────────┘

Crash safety (a worker killed mid-send):

1. `deliver_mail` claims the row with a conditional UPDATE (queued -> sending,
   attempts + 1, phase "connecting") that commits BEFORE any SMTP traffic, so two
   workers never send one row and a dead worker leaves a visible "sending" row.
2. Right before the DATA command it commits phase "data"; once the server
   answers 250 to the message it commits "sent" at once.
3. `send_due_mail` finds rows left in "sending" longer than SENDING_TIMEOUT (the
   worker died). Phase "connecting": the server never got the message, so it is
   queued again (nothing lost). Phase "data": the server may have accepted it
   (the worker may have died between the server's 250 and our commit) and SMTP
   offers no way to ask, so it becomes "sent_unconfirmed": counted as sent,
   shown with a warning on the Health page and never sent again (no duplicate).
   The price is a mail lost when the worker died in the short window between
   committing phase "data" and the server's 250; a duplicate would be worse for
   a confirmation or campaign mail.

A dropped connection or a timeout during DATA of a live worker is retried:
without a 250 the server has not taken responsibility (RFC 5321, 6.1).

A 5xx reply to RCPT TO is the recipient's permanent rejection: the row is
stored first (failed, permanent, smtp_code, smtp_response), then the
`smtp_rejection` signal fires after commit; bounces listens and records a hard
bounce with source "smtp" (and sweeps rows it missed). The core app never
imports bounces.
"""

from __future__ import annotations

import itertools
import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import headerregistry, policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from django.db import transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone

from stmails import config, durable_queue, smtp_routing
from stmails.models import MailAttachment, OutgoingMail
from stmails.smtp_check import (
    SmtpCheckError,
    close_connection,
    describe_error,
    format_reply,
    open_connection,
)

log = logging.getLogger(__name__)

Status = OutgoingMail.Status
Phase = OutgoingMail.Phase

# Waits after the 1st, 2nd, ... failed attempt; after the last one the mail fails.
BACKOFF = (60, 300, 900, 3600, 7200, 14400, 28800)
MAX_ATTEMPTS = len(BACKOFF) + 1
SMTP_TIMEOUT = 30.0
# Longer than any send can take with SMTP_TIMEOUT per command: a row "sending"
# for that long belongs to a dead worker.
SENDING_TIMEOUT = timedelta(minutes=10)
# A queued row whose broker message got lost (broker down at enqueue time).
REENQUEUE_AFTER = timedelta(minutes=10)
SWEEP_BATCH = durable_queue.SWEEP_BATCH
# CRLF line ends (smtplib sends bytes unchanged) and no folding below RFC 5322's
# 998 characters: with the default 78, a long List-Unsubscribe URL gets
# RFC 2047-encoded, which mail clients do not read.


class _CachedHeaderRegistry(headerregistry.HeaderRegistry):
    """The standard header classes, made once per name: the stock registry
    builds a new class on every lookup, most of the time it takes to build a
    message (8 ms of a campaign message's ~10 ms on a 2-core machine)."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


MAIL_POLICY = policy.SMTP.clone(
    max_line_length=998, header_factory=_CachedHeaderRegistry()
)

# Sent after commit with mail_id when a recipient was rejected with 5xx at RCPT TO.
smtp_rejection = Signal()

_round_robin = itertools.count()


def queue_mail(
    *,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    headers: dict[str, str] | None = None,
    from_email: str | None = None,
    kind: str = "system",
    subscriber_id: int | None = None,
    campaign_id: int | None = None,
    template_id: int | None = None,
    attachments: Sequence[MailAttachment] = (),
) -> OutgoingMail:
    """Store one mail in the caller's transaction; its send is enqueued on commit.

    `from_email` defaults to the app.from_email setting. The Message-ID is made
    now, on the From domain, so every attempt sends the same one. attachments:
    saved MailAttachment rows (several mails may share one).
    """
    from_email = from_email or config.get_value("app.from_email")
    domain = parseaddr(from_email)[1].rpartition("@")[2] or None
    mail = OutgoingMail.objects.create(
        kind=kind,
        to_email=to,
        from_email=from_email,
        subject=subject,
        text=text,
        html=html,
        headers=dict(headers or {}),
        message_id=make_msgid(domain=domain),
        subscriber_id=subscriber_id,
        campaign_id=campaign_id,
        template_id=template_id,
        enqueued_at=timezone.now(),
    )
    if attachments:
        mail.attachments.add(*attachments)
    transaction.on_commit(lambda: _enqueue([mail.pk]))
    return mail


def _enqueue(ids: list[int]) -> None:
    durable_queue.enqueue("stmails.tasks.send_mail", "mail_id", ids)


@dataclass
class SendFailure(Exception):
    message: str
    code: int | None = None
    response: str = ""
    stage: str = ""

    @property
    def permanent(self) -> bool:
        return self.code is not None and 500 <= self.code < 600


def build_message(mail: OutgoingMail, server: dict | None = None) -> EmailMessage:
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = mail.from_email
    msg["To"] = mail.to_email
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = mail.message_id
    extra: dict[str, str] = {}
    for item in (server or {}).get("email_headers") or []:
        extra.update(item)
    extra.update(mail.headers)
    for name, value in extra.items():
        if name.lower() in ("from", "to", "subject", "date", "message-id"):
            del msg[name]
        msg[name] = value
    msg.set_content(mail.text)
    if mail.html:
        msg.add_alternative(mail.html, subtype="html")
    if mail.pk is not None:
        for att in mail.attachments.all():
            maintype, _, subtype = att.content_type.partition("/")
            msg.add_attachment(
                bytes(att.data),
                maintype=maintype,
                subtype=subtype,
                filename=att.filename,
            )
    return msg


def enabled_servers(from_email: str = "") -> list[dict]:
    """The enabled servers of Settings → SMTP that take mail from this From
    address (stmails.smtp_routing), rotated so sends spread round robin."""
    servers = smtp_routing.servers_for(from_email)
    if not servers:
        return []
    start = next(_round_robin) % len(servers)
    return servers[start:] + servers[:start]


def _label(server: dict) -> str:
    return f"{server['host']}:{server['port']}"


def deliver_mail(mail_id: int) -> str:
    """Claim one queued mail and send it; returns its new status ("skipped" when
    another worker has it or it is not queued)."""
    claimed = OutgoingMail.objects.filter(pk=mail_id, status=Status.QUEUED).update(
        status=Status.SENDING,
        phase=Phase.CONNECTING,
        claimed_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return "skipped"
    mail = OutgoingMail.objects.get(pk=mail_id)
    try:
        server, response = _send(mail)
    except SendFailure as failure:
        return _record_failure(mail, failure)
    OutgoingMail.objects.filter(pk=mail.pk, claimed_at=mail.claimed_at).update(
        status=Status.SENT,
        phase=Phase.NONE,
        sent_at=timezone.now(),
        smtp_code=250,
        smtp_response=response,
        smtp_stage="",
        last_error="",
        next_try_at=None,
        server=_label(server),
    )
    return Status.SENT


def _send(mail: OutgoingMail) -> tuple[dict, str]:
    servers = enabled_servers(mail.from_email)
    if not servers:
        raise SendFailure("no enabled SMTP server (Settings → SMTP)")
    failure = SendFailure("no SMTP server tried")
    # The first server that accepts a connection handles the mail; a refused
    # connection or login moves on to the next one.
    for server in servers:
        try:
            conn = open_connection(server, SMTP_TIMEOUT)
        except SmtpCheckError as e:
            failure = SendFailure(f"{_label(server)}: {e.message}", stage="connect")
            continue
        try:
            return server, _transact(conn, server, mail)
        except SendFailure as e:
            e.message = f"{_label(server)}: {e.message}"
            raise
        except (smtplib.SMTPException, OSError) as e:
            raise SendFailure(
                f"{_label(server)}: "
                f"{describe_error(e, server['host'], server['port'], SMTP_TIMEOUT)}"
            ) from None
        finally:
            close_connection(conn)
    raise failure


def _transact(conn: smtplib.SMTP, server: dict, mail: OutgoingMail) -> str:
    msg = build_message(mail, server)
    # A Return-Path header (listmonk's way of setting the bounce address) is the
    # envelope sender; the receiving server writes the header itself.
    sender = parseaddr(msg["Return-Path"] or mail.from_email)[1]
    del msg["Return-Path"]
    code, text = conn.mail(sender)
    if code != 250:
        raise _reply_failure("MAIL FROM", code, text)
    code, text = conn.rcpt(mail.to_email)
    if code not in (250, 251):
        raise _reply_failure("RCPT TO", code, text)
    # Committed before the message leaves: see the module docstring, step 2.
    OutgoingMail.objects.filter(pk=mail.pk).update(phase=Phase.DATA)
    try:
        code, text = conn.data(msg.as_bytes())
    except smtplib.SMTPResponseException as e:
        raise _reply_failure("DATA", e.smtp_code, e.smtp_error) from None
    if code != 250:
        raise _reply_failure("DATA", code, text)
    return format_reply(code, text)


def _reply_failure(stage: str, code: int, text: bytes | str) -> SendFailure:
    response = format_reply(code, text)
    return SendFailure(f"{stage}: {response}", code, response, stage)


def _record_failure(mail: OutgoingMail, failure: SendFailure) -> str:
    next_try_at = durable_queue.next_try_at(
        mail.attempts, BACKOFF, timezone.now(), final=failure.permanent
    )
    status = Status.AWAITING_RETRY if next_try_at else Status.FAILED
    OutgoingMail.objects.filter(pk=mail.pk, claimed_at=mail.claimed_at).update(
        status=status,
        phase=Phase.NONE,
        last_error=failure.message,
        smtp_code=failure.code,
        smtp_response=failure.response,
        smtp_stage=failure.stage,
        permanent=failure.permanent,
        next_try_at=next_try_at,
    )
    log.warning(
        "outgoing mail %s to %s, attempt %s: %s -> %s",
        mail.pk, mail.to_email, mail.attempts, failure.message, status,
    )  # fmt: skip
    if failure.permanent and failure.stage == "RCPT TO":
        transaction.on_commit(lambda: _announce_rejection(mail.pk))
    return status


def _announce_rejection(mail_id: int) -> None:
    for receiver, result in smtp_rejection.send_robust(
        sender=OutgoingMail, mail_id=mail_id
    ):
        if isinstance(result, Exception):
            # The bounces sweep converts the stored rejection later.
            log.warning("smtp_rejection receiver %s failed: %s", receiver, result)


@dataclass
class DueResult:
    retried: int = 0
    requeued_lost: int = 0
    recovered: int = 0
    unconfirmed: int = 0
    failed: int = 0


def send_due_mail(now: datetime | None = None) -> DueResult:
    """Beat: enqueue due retries, re-enqueue lost queued rows, recover rows of
    dead workers (module docstring, step 3). Idempotent."""
    now = now or timezone.now()
    result = DueResult()
    stuck = OutgoingMail.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - SENDING_TIMEOUT
    )
    for mail in stuck[:SWEEP_BATCH]:
        rows = OutgoingMail.objects.filter(pk=mail.pk, claimed_at=mail.claimed_at)
        if mail.phase == Phase.DATA:
            result.unconfirmed += rows.update(
                status=Status.SENT_UNCONFIRMED,
                phase=Phase.NONE,
                sent_at=mail.claimed_at,
                last_error="the worker stopped after handing the mail to the "
                "server; not sent again (the server may have accepted it)",
            )
        elif mail.attempts >= MAX_ATTEMPTS:
            result.failed += rows.update(
                status=Status.FAILED,
                phase=Phase.NONE,
                last_error="the worker stopped while sending, on the last attempt",
            )
        elif rows.update(
            status=Status.QUEUED,
            phase=Phase.NONE,
            enqueued_at=now,
            last_error="the worker stopped before the server accepted the mail; "
            "queued again",
        ):
            result.recovered += 1
            _enqueue([mail.pk])
    result.retried = durable_queue.requeue_due_retries(OutgoingMail, now, _enqueue)
    result.requeued_lost = durable_queue.requeue_lost(
        OutgoingMail, now, REENQUEUE_AFTER, _enqueue
    )
    return result
