"""Send a running campaign's queued deliveries over one reused SMTP connection.

One call (a Celery task, see campaigns.tasks) is one "slot". Rows are split in
`slots` parts (id mod slots); a slot starts with its own part and, when that
is empty or another slot is working on it (a claim lost to another slot), moves
on to the next part, so the slots that run do all the work: with fewer worker
processes than slots, nobody waits for the broker to hand over the next slot
between parts. It sends chunk by chunk until no part has rows left, the
campaign is no longer running (pause and cancel are seen between chunks), the
sliding window is full, no server answers, or its time budget is spent;
`again_in` then tells the task when to run the slot again. The claim and crash
policy are in campaigns.sending.engine's docstring; the statements that carry
them in campaigns.sending.ledger; the SMTP exchange (pipelined where the
server offers it) in campaigns.sending.smtp.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone

from campaigns.models import Campaign, Delivery
from campaigns.sending import breaker, engine, failures, groups, ledger
from campaigns.sending.compose import Composed, Composer
from campaigns.sending.pace import SharedPacer, ceiling, group_size, window_share
from campaigns.sending.queue import Queue, Queued
from campaigns.sending.smtp import Abandoned, pipelines, send_message
from stmails import config, smtp_routing
from stmails.outbox import SendFailure
from stmails.smtp_check import (
    SmtpCheckError,
    close_connection,
    describe_error,
    format_reply,
    open_connection,
)

log = logging.getLogger(__name__)

CHUNK = 200
CLAIM_GROUP = 20  # rows claimed at once at high rates (at most this many in doubt)
TIME_BUDGET = 60.0  # seconds; then a fresh task continues (and acks this one)
SMTP_TIMEOUT = 30.0
NO_SERVER_RETRY = 30.0
MAX_RETRY_DELAY = 10.0  # seconds: a longer msg_retry_delay would eat the time budget
DStatus = Delivery.Status


@dataclass
class RunResult:
    outcome: str = ""
    sent: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    again_in: float | None = None  # seconds until this slot should run again


def server_for_slot(slot: int, from_email: str = "") -> dict | None:
    """Slots spread over the enabled servers that take mail from the campaign's
    From address (stmails.smtp_routing), up to each one's max_conns, taking
    turns (slot 0 on the first, slot 1 on the second...): the slots that run
    take over the others' rows, so the first ones carry the mail."""
    servers = smtp_routing.servers_for(from_email)
    conns = [int(s.get("max_conns") or 1) for s in servers]
    seats = [
        server
        for turn in range(max(conns, default=0))
        for server, n in zip(servers, conns, strict=True)
        if turn < n
    ]
    return seats[slot % len(seats)] if seats else None


class Run:
    def __init__(self, campaign: Campaign, slot: int, slots: int, sleep, clock):
        self.campaign, self.slot, self.slots = campaign, slot, slots
        self.sleep, self.clock = sleep, clock
        self.settings = config.get_values(
            "app.message_rate", "app.concurrency", "app.message_sliding_window",
            "app.message_sliding_window_duration",
            "app.message_sliding_window_rate", "app.max_send_errors",
            "app.root_url", "app.from_email", "campaign.verp_enabled",
            "campaign.verp_domain", "privacy.disable_tracking", "app.site_name",
        )  # fmt: skip
        self.from_email = campaign.from_email or self.settings["app.from_email"]
        self.composer = Composer(campaign, self.settings, self.from_email)
        list_ids = [lst.id for lst in self.composer.lists]
        self.queue = Queue(campaign, slot, slots, list_ids)
        rate = ceiling(self.settings)
        self.pacer = SharedPacer(rate, sleep, clock)
        # Rows claimed together (campaigns.sending.ledger): one at a time at
        # the usual rates, in groups where a statement per message would cost
        # more than the message.
        self.group = min(CLAIM_GROUP, group_size(rate))
        self.server: dict | None = None
        self.conn: smtplib.SMTP | None = None
        # The last message the server took (250) that is not recorded yet: the
        # next claim records it (campaigns.sending.ledger).
        self.unrecorded: ledger.Sent | None = None
        # The group claimed last (campaigns.sending.groups): dropped once all
        # its messages are answered.
        self.group_id: int | None = None
        self.result = RunResult()

    # --- one chunk ----------------------------------------------------------------

    def next_chunk(self, limit: int) -> list[Queued]:
        return self.queue.next_chunk(limit)

    def subscribers(self, chunk: list[Queued]) -> dict[int, dict]:
        found = self.queue.subscribers(chunk)
        self.composer.chunk_subscribers(found)
        return found

    def send_chunk(self, chunk: list[Queued]) -> bool:
        """False when no server could be reached (the rest waits)."""
        try:
            return self._send_chunk(chunk)
        finally:
            self.record_sent()

    def _send_chunk(self, chunk: list[Queued]) -> bool:
        subscribers = self.subscribers(chunk)
        ready = []
        for delivery in chunk:
            sub = subscribers.get(delivery.subscriber_id)
            if sub is None:
                self.result.skipped += Delivery.objects.filter(
                    pk=delivery.pk, status=DStatus.QUEUED
                ).update(status=DStatus.SKIPPED, last_error="no longer subscribed")
            else:
                ready.append((delivery, sub))
        if self.group > 1:
            return groups.send_groups(self, ready)
        for delivery, sub in ready:
            if self.conn is None and not self.connect():
                return False
            attempt = delivery.attempts + 1
            # Built before the claim and the wait: the message is ready when
            # its moment comes (campaigns.sending.pace).
            composed = self.try_compose(delivery, sub)
            # Without PIPELINING the claim commits before any SMTP traffic for
            # this message; with it, once the server said 354, with the
            # Message-ID (campaigns.sending.ledger).
            late = not isinstance(composed, SendFailure) and pipelines(
                self.conn, composed[2], delivery.email
            )
            if not late and not self.claim(delivery, attempt):
                self.queue.skip_part()  # another slot works on this part
                return True
            if isinstance(composed, SendFailure):
                self.record_failure(delivery, attempt, composed, final=True)
                continue
            self.pacer.wait()
            try:
                lost = self.send_one(delivery, attempt, composed, claimed=not late)
            finally:
                self.pacer.finished()
            if lost:
                self.queue.skip_part()
                return True
        return True

    def try_compose(self, delivery: Queued, sub: dict) -> Composed | SendFailure:
        try:
            return self.compose(delivery, sub)
        except Exception as e:  # noqa: BLE001 (a template error must not stall the campaign)
            return SendFailure(f"cannot build the message: {e}")

    def compose(self, delivery: Queued, sub: dict) -> Composed:
        return self.composer.compose(delivery.pk, delivery.email, sub, self.server)

    def claim(self, delivery: Delivery, attempt: int, message_id: str = "") -> bool:
        sent, self.unrecorded = self.unrecorded, None
        return ledger.claim(delivery.pk, attempt, timezone.now(), sent, message_id)

    def record_sent(self) -> None:
        if self.unrecorded is not None:
            ledger.record_sent(self.unrecorded)
            self.unrecorded = None
        if self.group_id is not None:
            ledger.close_group(self.group_id)
            self.group_id = None

    def connect(self) -> bool:
        self.server = server_for_slot(self.slot, self.from_email)
        if self.server is None:
            self.result.outcome = "no enabled SMTP server (Settings → SMTP)"
            return False
        try:
            self.conn = open_connection(self.server, SMTP_TIMEOUT)
        except SmtpCheckError as e:
            self.result.outcome = f"{failures.label(self.server)}: {e.message}"
            return False
        return True

    def disconnect(self) -> None:
        if self.conn is not None:
            close_connection(self.conn)
            self.conn = None

    def send_one(
        self,
        delivery: Delivery,
        attempt: int,
        composed: Composed,
        *,
        claimed: bool = True,
        in_group: bool = False,
    ) -> bool:
        """Send one message; True when its row turned out to be another
        slot's (not claimed yet, and the claim was lost)."""
        message_id, data, sender = composed
        state = {"claimed": claimed, "lost": False}

        def handed() -> bool:
            if in_group:  # claimed with its Message-ID
                return True
            # Committed before the message goes out: a stuck row with a
            # Message-ID is never resent.
            if state["claimed"]:
                return ledger.handed(delivery.pk, attempt, message_id)
            state["claimed"] = self.claim(delivery, attempt, message_id)
            state["lost"] = not state["claimed"]
            return state["claimed"]

        try:
            code, text = send_message(self.conn, sender, delivery.email, data, handed)
        except Abandoned:  # not ours (any more)
            self._reset()
            return state["lost"]
        except SendFailure as failure:
            if failure.stage == "RCPT TO" or failure.stage == "MAIL FROM":
                self._reset()
            else:
                self.disconnect()
            return self.failed(delivery, attempt, failure, state["claimed"], in_group)
        except (smtplib.SMTPException, OSError) as e:
            self.disconnect()
            server = self.server or {}
            error = describe_error(e, server.get("host", ""), server.get("port", 0))
            failure = SendFailure(error)
            return self.failed(delivery, attempt, failure, state["claimed"], in_group)
        # Recorded with the next claim (or at the end of the chunk).
        if in_group:
            self.sent_in_group(delivery, attempt, code, text)
        else:
            self.unrecorded = (delivery.pk, attempt, timezone.now())
            self.result.sent += 1
            if log.isEnabledFor(logging.DEBUG):
                log.debug("delivery %s sent: %s", delivery.pk, format_reply(code, text))
        return False

    def sent_in_group(self, delivery: Queued, attempt: int, code: int, text) -> None:
        # The row says "sent" since its claim: nothing to write.
        self.result.sent += 1
        if log.isEnabledFor(logging.DEBUG):
            log.debug("delivery %s sent: %s", delivery.pk, format_reply(code, text))

    def failed(
        self,
        delivery: Delivery,
        attempt: int,
        failure: SendFailure,
        claimed: bool,
        in_group: bool = False,
    ) -> bool:
        """Record a failure (claiming the row first when the message went out
        pipelined); True when the row is another slot's."""
        if not claimed and not self.claim(delivery, attempt):
            return True
        self.record_failure(delivery, attempt, failure, in_group=in_group)
        return False

    def _reset(self) -> None:
        try:
            self.conn.rset()
        except (smtplib.SMTPException, OSError):
            self.disconnect()

    def record_failure(
        self, delivery, attempt: int, failure: SendFailure, *, final=False,
        in_group=False,
    ) -> None:  # fmt: skip
        # A group's rows are "sent" from their claim on (campaigns.sending.groups).
        claimed_as = DStatus.SENT if in_group else DStatus.SENDING
        if failures.record_failure(
            delivery, attempt, failure, self.server, final=final, claimed_as=claimed_as
        ):
            self.result.failed += 1
        else:
            self.result.retried += 1
            # listmonk's msg_retry_delay: a pause before this slot's next
            # message, so a server that refused for a moment is not hit again
            # at once (the row itself is retried from the queue).
            self.sleep(min(smtp_routing.retry_delay(self.server), MAX_RETRY_DELAY))

    def too_many_errors(self) -> bool:
        limit = self.settings["app.max_send_errors"]
        if not limit or not self.result.failed:
            return False
        failed = Delivery.objects.filter(
            campaign=self.campaign, status=DStatus.FAILED
        ).count()
        if failed < limit:
            return False
        engine.set_status(
            self.campaign.pk, Campaign.Status.PAUSED,
            f"{failed} messages failed (app.max_send_errors is {limit})",
        )  # fmt: skip
        return True


def send_campaign(
    campaign_id: int,
    slot: int = 0,
    slots: int = 1,
    *,
    time_budget: float = TIME_BUDGET,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,  # shared with other processes: wall time
) -> RunResult:
    """Send this slot's queued deliveries of a running campaign; see the module docstring."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.status != Campaign.Status.RUNNING:
        return RunResult(outcome="not running")
    run = Run(campaign, slot, slots, sleep, clock)
    started = clock()
    with ledger.relaxed_commits():
        try:
            _run_chunks(run, campaign_id, slot, slots, started, time_budget, clock)
        finally:
            run.disconnect()
            run.pacer.close()
    if run.result.again_in:
        # Waiting (no server, window full) is not a stall: without this,
        # recover_stalled would start more tasks for a campaign that waits.
        Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.RUNNING).update(
            updated_at=timezone.now()
        )
    return run.result


def _run_chunks(run: Run, campaign_id: int, slot: int, slots: int, started: float,
                time_budget: float, clock: Callable[[], float]) -> None:  # fmt: skip
    """Chunk after chunk until done, stopped or waiting (run.result says which)."""
    while True:
        status = (
            Campaign.objects.filter(pk=campaign_id)
            .values_list("status", flat=True)
            .first()
        )
        if status != Campaign.Status.RUNNING:
            run.result.outcome = f"campaign {status}"
            return
        if clock() - started > time_budget:
            run.result.outcome, run.result.again_in = "time budget spent", 0.0
            return
        limit, wait = window_share(run.settings, slot, slots, CHUNK)
        if limit <= 0:
            run.result.outcome, run.result.again_in = "sliding window full", wait
            return
        chunk = run.next_chunk(limit)
        if not chunk:
            run.result.outcome = "done"
            engine.finish_if_done(campaign_id)
            return
        # Before each chunk, so bounces that came in while paused count too.
        if breaker.check(campaign_id):
            run.result.outcome = "paused: circuit breaker"
            return
        sent_before = run.result.sent
        reached = run.send_chunk(chunk)
        Campaign.objects.filter(pk=campaign_id).update(
            sent=F("sent") + (run.result.sent - sent_before)
        )
        if not reached:
            run.result.again_in = NO_SERVER_RETRY
            return
        if run.too_many_errors():
            run.result.outcome = "paused: too many errors"
            break
