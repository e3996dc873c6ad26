"""Start a campaign and keep it moving: delivery rows, recovery, finishing.

A campaign's `campaign_deliveries` rows are its queue, one per subscriber,
made once at start (INSERT ... ON CONFLICT DO NOTHING in batches: the unique
(campaign, subscriber_id) pair means no subscriber is ever queued twice, even
when start runs again). Celery tasks carry only (campaign id, slot); each
slot sends its share of the rows over one reused SMTP connection
(campaigns.sending.sender). States of a delivery, and the crash policy (the
same as stmails.outbox):

    queued ──claim──> sending ──250 to DATA──> sent
       ^                 │ 4xx / connection error (attempts left) ──> queued
       │                 │ 5xx, or out of attempts ──────────────> failed
       └── recover_stalled: a claim older than SENDING_TIMEOUT without a
           Message-ID (it never reached DATA) is queued again; one with a
           Message-ID (it reached DATA: the server may have taken it) counts as
           sent, with a note in last_error, and is never sent again.

While a row is "sending", sent_at holds the time of its claim and attempts
identifies the claim (the model has no claimed_at/phase columns); message_id
is written, and committed, once the server accepted the recipient and before
the message itself goes out, and only then. The claim of a connection's next
message records the previous one as sent in the same statement, so a
connection has at most one row in "sending" (campaigns.sending.ledger). From
200 messages/s rows are claimed in groups of at most 20, each row with its
Message-ID, as "sent" from the claim on, and the group is written down
(SendGroup, campaigns.sending.groups): a killed worker leaves its group
behind, whose rows recover_stalled marks unconfirmed like the single row:
never sent twice, and a message of the group that had not gone out yet is
counted as sent too.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from campaigns.models import Campaign, Delivery, SendGroup
from stmails import config, smtp_routing
from stmails.durable_queue import send_task
from stmails.outbox import SENDING_TIMEOUT
from subscribers.models import MailingList, Subscriber, Subscription

log = logging.getLogger(__name__)

Status = Campaign.Status
DStatus = Delivery.Status
# A running campaign whose rows have not moved for this long has lost its
# tasks (worker restart, broker message lost): recover_stalled enqueues again.
STALLED_AFTER = SENDING_TIMEOUT
UNCONFIRMED_NOTE = (
    "the worker stopped after handing the message to the server; counted as "
    "sent and not sent again (the server may have accepted it)"
)


class CampaignError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def eligible_subscriptions(list_ids: list[int], *, optin: bool = False):
    """Memberships that get campaign mail: not unsubscribed, not blocklisted,
    and confirmed on double opt-in lists. An opt-in campaign (optin=True) goes
    to the other ones instead: the unconfirmed members of double opt-in lists."""
    if optin:
        return Subscription.objects.filter(
            list_id__in=list_ids,
            list__optin=MailingList.Optin.DOUBLE,
            status=Subscription.Status.UNCONFIRMED,
        ).exclude(subscriber__status=Subscriber.Status.BLOCKLISTED)
    return (
        Subscription.objects.filter(list_id__in=list_ids)
        .exclude(status=Subscription.Status.UNSUBSCRIBED)
        .exclude(subscriber__status=Subscriber.Status.BLOCKLISTED)
        .filter(
            Q(list__optin=MailingList.Optin.SINGLE)
            | Q(status=Subscription.Status.CONFIRMED)
        )
    )


def target_list_ids(campaign: Campaign) -> list[int]:
    return [
        i
        for i in campaign.campaign_lists.values_list("list_id", flat=True)
        if i is not None
    ]


def slot_count(from_email: str = "") -> int:
    """Connections a campaign uses: app.concurrency, capped by the max_conns of
    the servers that take its From address (stmails.smtp_routing)."""
    servers = smtp_routing.servers_for(from_email or config.get_value("app.from_email"))
    capacity = sum(int(s.get("max_conns") or 1) for s in servers) or 1
    return max(1, min(int(config.get_value("app.concurrency")), capacity))


def start_campaign(campaign_id: int) -> None:
    """Start (or resume) a campaign: status running, delivery rows, send tasks.

    Idempotent: rows are created only for subscribers without one.
    CampaignError when the campaign cannot start (finished, cancelled, no lists).
    """
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status in (Status.FINISHED, Status.CANCELLED):
            raise CampaignError(f"a {campaign.status} campaign cannot be started")
        list_ids = target_list_ids(campaign)
        if not list_ids:
            raise CampaignError("the campaign has no target lists")
        # Rows are made once, at the first start (which the status API may have
        # stamped started_at for already): a resume sends to the same people.
        if not Delivery.objects.filter(campaign=campaign).exists():
            create_deliveries(campaign, list_ids)
        now = timezone.now()
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Status.RUNNING,
            paused_reason="",
            started_at=campaign.started_at or now,
            to_send=Delivery.objects.filter(campaign=campaign)
            .exclude(status=DStatus.SKIPPED)
            .count(),
            updated_at=now,
        )
        transaction.on_commit(lambda: enqueue(campaign_id))


def create_deliveries(campaign: Campaign, list_ids: list[int]) -> int:
    """One queued row per eligible subscriber, made by the database in one
    INSERT ... SELECT (nothing goes through Python: a list of a million
    starts in seconds, in flat memory)."""
    rows = (
        eligible_subscriptions(list_ids, optin=campaign.type == Campaign.Type.OPTIN)
        .order_by("subscriber_id")
        .values_list("subscriber_id", "subscriber__email")
        .distinct()
    )
    select, params = rows.query.sql_with_params()
    table = connection.ops.quote_name(Delivery._meta.db_table)
    columns = (
        "subscriber_id, email, campaign_id, status, message_id, attempts, "
        "last_error, permanent, created_at"
    )
    # The SELECT is Django's own SQL with its parameters bound separately.
    values = f"SELECT q.*, %s, %s, '', 0, '', %s, %s FROM ({select}) AS q"  # noqa: S608
    if connection.vendor == "sqlite":
        sql = f"INSERT OR IGNORE INTO {table} ({columns}) {values}"
    else:
        sql = f"INSERT INTO {table} ({columns}) {values} ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [campaign.pk, DStatus.QUEUED, False, timezone.now(), *params]
        )
        return cursor.rowcount


def enqueue(campaign_id: int, slots: int | None = None) -> None:
    from kombu.exceptions import OperationalError

    if not slots:
        from_email = (
            Campaign.objects.filter(pk=campaign_id)
            .values_list("from_email", flat=True)
            .first()
        )
        slots = slot_count(from_email or "")
    for slot in range(slots):
        try:
            send_task(
                "campaigns.tasks.send_campaign",
                campaign_id=campaign_id,
                slot=slot,
                slots=slots,
            )
        except (OperationalError, OSError) as e:
            # The campaign is running: recover_stalled enqueues it again later.
            log.warning("cannot enqueue campaign %s: %s", campaign_id, e)


def set_status(campaign_id: int, status: str, reason: str = "") -> bool:
    """Pause or cancel a running (or paused) campaign; senders stop between chunks."""
    allowed = {
        Status.PAUSED: (Status.RUNNING, Status.SCHEDULED),
        Status.CANCELLED: (Status.RUNNING, Status.PAUSED, Status.SCHEDULED),
    }[status]
    return bool(
        Campaign.objects.filter(pk=campaign_id, status__in=allowed).update(
            status=status, paused_reason=reason, updated_at=timezone.now()
        )
    )


def finish_if_done(campaign_id: int) -> bool:
    """A running campaign without queued or sending rows, nor a group of rows
    still going out (SendGroup: its rows say "sent" already), is finished."""
    busy = Delivery.objects.filter(
        campaign_id=campaign_id, status__in=(DStatus.QUEUED, DStatus.SENDING)
    )
    if busy.exists() or SendGroup.objects.filter(campaign_id=campaign_id).exists():
        return False
    now = timezone.now()
    return bool(
        Campaign.objects.filter(pk=campaign_id, status=Status.RUNNING).update(
            status=Status.FINISHED,
            finished_at=now,
            updated_at=now,
            sent=Delivery.objects.filter(
                campaign_id=campaign_id, status=DStatus.SENT
            ).count(),
        )
    )


def start_scheduled(now: datetime) -> int:
    """Start scheduled campaigns whose send_at has come."""
    due = Campaign.objects.filter(status=Status.SCHEDULED, send_at__lte=now)
    started = 0
    for campaign_id in due.values_list("pk", flat=True):
        try:
            start_campaign(campaign_id)
            started += 1
        except CampaignError as e:
            log.warning("scheduled campaign %s not started: %s", campaign_id, e)
            set_status(campaign_id, Status.PAUSED, f"not started: {e.message}")
    return started


def _settle_dead_groups(now: datetime) -> int:
    """Groups a dead worker left (campaigns.sending.groups): their rows stay
    "sent", never sent again, with the note that they are unconfirmed."""
    settled = 0
    for group in SendGroup.objects.filter(claimed_at__lt=now - SENDING_TIMEOUT):
        with transaction.atomic():
            settled += (
                Delivery.objects.filter(pk__in=group.deliveries, status=DStatus.SENT)
                .exclude(message_id="")
                .update(last_error=UNCONFIRMED_NOTE)
            )
            group.delete()
    return settled


def recover_stalled(now: datetime | None = None) -> dict[str, int]:
    """Beat: start due scheduled campaigns, settle rows of dead workers and
    restart running campaigns that stopped moving. Idempotent."""
    now = now or timezone.now()
    scheduled = start_scheduled(now)
    stuck = Delivery.objects.filter(
        status=DStatus.SENDING, sent_at__lt=now - SENDING_TIMEOUT
    )
    unconfirmed = stuck.exclude(message_id="").update(
        status=DStatus.SENT, last_error=UNCONFIRMED_NOTE
    ) + _settle_dead_groups(now)
    requeued = stuck.filter(message_id="").update(
        status=DStatus.QUEUED,
        sent_at=None,
        last_error="the worker stopped before the server accepted the message; "
        "queued again",
    )
    restarted = 0
    running = Campaign.objects.filter(status=Status.RUNNING)
    for campaign_id, updated_at in running.values_list("pk", "updated_at"):
        rows = Delivery.objects.filter(campaign_id=campaign_id)
        if not rows.filter(status=DStatus.QUEUED).exists():
            finish_if_done(campaign_id)
            continue
        # Started or resumed (updated_at) or a row claimed or sent (sent_at) lately.
        last = max(
            updated_at, rows.aggregate(last=Max("sent_at"))["last"] or updated_at
        )
        if last < now - STALLED_AFTER:
            restarted += 1
            enqueue(campaign_id)
    return {
        "scheduled": scheduled,
        "unconfirmed": unconfirmed,
        "requeued": requeued,
        "restarted": restarted,
    }
