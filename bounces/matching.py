"""Find the subscriber (and campaign) of each bounce, or say why nobody: the one matcher.

Every source's bounce (bounces.services.NewBounce) comes here through
bounces.recording.record_bounces. Order, first hit wins:
1. The subscriber uuid the bounce names: POST /webhooks/bounce's
   subscriber_uuid, a provider's echoed X-Stmails-Subscriber, or the header
   found in a returned original message (X-Stmails-Subscriber/X-Listmonk-*).
2. The original message's Message-ID matched to a message stmails sent (the
   outgoing mail queue keeps each one's Message-ID, subscriber and campaign).
3. A VERP return address (bounces+<token>@...) the bounce was sent to: the
   token is a delivery id signed with a key derived from SECRET_KEY (see
   stmails.lib.signing); campaign messages use it when campaign.verp_enabled.
4. The recipient matched to a subscriber's email, case-insensitively: the
   bounce's email, then its other recipients (a DSN's Original- and
   Final-Recipient: an address after forwarding may be the one subscribed).

`match_events` matches a whole batch with one subscriber query, locked FOR
UPDATE in id order when asked (inside the recording transaction).
"""

from __future__ import annotations

import logging
import uuid as uuidlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection

from bounces.models import UnmatchedBounce
from campaigns.models import Campaign, Delivery
from campaigns.sending.message import VERP_SALT
from stmails.lib import signing
from stmails.lib.raw_sql import db_value
from stmails.models import OutgoingMail
from subscribers.models import Subscriber

if TYPE_CHECKING:
    from bounces.services import NewBounce

Reason = UnmatchedBounce.Reason
log = logging.getLogger(__name__)
VIA_WORDS = {
    "header": "subscriber uuid",
    "message_id": "Message-ID",
    "verp": "VERP address",
    "recipient": "recipient",
}


@dataclass(frozen=True)
class SentRef:
    """What a sent-message record or a VERP token tells: who got which campaign."""

    subscriber_uuid: str
    campaign_uuid: str | None = None


@dataclass(frozen=True)
class Match:
    subscriber: Subscriber | None  # id, uuid, email and status only
    campaign_uuid: str | None = None
    via: str = ""  # header | message_id | verp | recipient
    email: str = ""
    reason: str = ""  # an UnmatchedBounce.Reason value when nobody matched
    detail: str = ""

    @property
    def matched(self) -> bool:
        return self.subscriber is not None

    @property
    def subscriber_uuid(self) -> str | None:
        return str(self.subscriber.uuid) if self.subscriber is not None else None


def _message_id_key(message_id: str) -> str:
    # The queue stores Message-IDs as generated, in angle brackets.
    key = message_id.strip()
    return key if not key or key.startswith("<") else f"<{key}>"


def find_sent_messages(message_ids: set[str]) -> dict[str, SentRef]:
    """The subscriber and campaign of messages stmails sent, by Message-ID.

    Campaign deliveries and the outgoing mail queue keep each message's
    Message-ID with plain subscriber and campaign ids: a few queries per batch.
    """
    keys = sorted({_message_id_key(m) for m in message_ids} - {""})
    sent: dict[str, tuple[int, int | None]] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        # Campaign messages are recorded as deliveries, the rest in the outbox.
        for rows in (
            Delivery.objects.filter(message_id__in=chunk).values_list(
                "message_id", "subscriber_id", "campaign_id"
            ),
            OutgoingMail.objects.filter(
                message_id__in=chunk, subscriber_id__isnull=False
            ).values_list("message_id", "subscriber_id", "campaign_id"),
        ):
            sent.update({mid: (sub, camp) for mid, sub, camp in rows})
    if not sent:
        return {}
    subscribers = dict(
        Subscriber.objects.filter(id__in={s for s, _ in sent.values()}).values_list(
            "id", "uuid"
        )
    )
    campaign_ids = {c for _, c in sent.values() if c}
    campaigns = (
        dict(Campaign.objects.filter(id__in=campaign_ids).values_list("id", "uuid"))
        if campaign_ids
        else {}
    )
    refs = {}
    for mid, (sub_id, camp_id) in sent.items():
        if sub_id in subscribers:
            camp = campaigns.get(camp_id)
            refs[mid] = SentRef(str(subscribers[sub_id]), str(camp) if camp else None)
    return refs


def decode_verp(token: str) -> SentRef | None:
    """The subscriber and campaign of the delivery a VERP token signs, or None
    for a forged or stale token (a deleted delivery or subscriber)."""
    key = signing.derive_key(settings.SECRET_KEY, VERP_SALT)
    delivery_id = signing.read_verp_token(token, key=key)
    if delivery_id is None:
        return None
    row = (
        Delivery.objects.filter(pk=delivery_id)
        .values_list("subscriber_id", "campaign__uuid")
        .first()
    )
    if row is None:
        return None
    # subscriber_id is a plain integer (see Delivery): the subscriber may be gone.
    subscriber = Subscriber.objects.filter(pk=row[0]).values_list("uuid", flat=True)
    sub_uuid = subscriber.first()
    if sub_uuid is None:
        return None
    return SentRef(str(sub_uuid), str(row[1]))


# Values per IN (...) list: SQLite allows 32,766 parameters per query.
CHUNK = 400
# Only the columns the threshold actions use; lower(email) uses its unique index.
SUBSCRIBER_SQL = (
    "SELECT id, uuid, email, status FROM subscribers WHERE {} ORDER BY id{}"
)


def as_uuid(value: str | None) -> uuidlib.UUID | None:
    try:
        return uuidlib.UUID(str(value)) if value else None
    except ValueError:
        return None


def _email_key(email: str) -> str:
    return email.strip().lower()


def candidates(item: NewBounce) -> list[str]:
    """The bounce's recipient addresses in matching order, without repeats."""
    out: list[str] = []
    keys: set[str] = set()
    for email in (item.email, *item.recipients):
        if email and email.strip() and _email_key(email) not in keys:
            keys.add(_email_key(email))
            out.append(email)
    return out


def find_subscribers(
    uuids: set[uuidlib.UUID], emails: set[str], *, lock: bool
) -> list[Subscriber]:
    """Subscribers by uuid or lowercased email. Raw SQL: compiling the ORM
    equivalent cost a third of the webhook's CPU time (bench/).

    With lock (PostgreSQL), one statement FOR UPDATE in id order, so two
    batches never wait on each other in a cycle; else chunks of CHUNK values.
    """
    lock = lock and connection.features.has_select_for_update
    uuid_list, email_list = sorted(uuids), sorted(emails)
    step = max(len(uuid_list), len(email_list), 1) if lock else CHUNK
    found: list[Subscriber] = []
    for start in range(0, max(len(uuid_list), len(email_list)), step):
        some_uuids = uuid_list[start : start + step]
        some_emails = email_list[start : start + step]
        wheres, params = [], []
        if some_uuids:
            wheres.append(f"uuid IN ({', '.join(['%s'] * len(some_uuids))})")
            params += [db_value(Subscriber, "uuid", u) for u in some_uuids]
        if some_emails:
            wheres.append(f"LOWER(email) IN ({', '.join(['%s'] * len(some_emails))})")
            params += some_emails
        sql = SUBSCRIBER_SQL.format(" OR ".join(wheres), " FOR UPDATE" if lock else "")
        found += Subscriber.objects.raw(sql, params)
    return found


def match_events(items: Sequence[NewBounce], *, lock: bool = False) -> list[Match]:
    """The subscriber and campaign of each bounce, or the reason for none.

    A few queries per batch: the Message-IDs (when bounces carry one), the
    VERP tokens, then one subscriber query for every uuid and address.
    """
    message_ids = {i.original_message_id for i in items if i.original_message_id}
    sent = find_sent_messages(message_ids) if message_ids else {}
    verp = {t: decode_verp(t) for t in {i.verp_token for i in items if i.verp_token}}
    uuids = {u for i in items if (u := as_uuid(i.subscriber_uuid))}
    uuids |= {as_uuid(r.subscriber_uuid) for r in (*sent.values(), *verp.values()) if r}
    emails = {_email_key(e) for i in items for e in candidates(i)}
    by_uuid: dict[uuidlib.UUID, Subscriber] = {}
    by_email: dict[str, Subscriber] = {}
    if uuids or emails:
        for subscriber in find_subscribers(uuids - {None}, emails, lock=lock):
            by_uuid[as_uuid(subscriber.uuid)] = subscriber
            by_email[subscriber.email.lower()] = subscriber
    matches = []
    for item in items:
        match = _match(item, sent, verp, by_uuid, by_email)
        log_decision(item, match)
        matches.append(match)
    return matches


def log_decision(item: NewBounce, match: Match) -> None:
    """One line per bounce: how it was matched, or why nobody was."""
    if match.matched:
        log.info(
            "bounce matched by %s: recipient=%s subscriber=%s campaign=%s source=%s",
            VIA_WORDS.get(match.via, match.via),
            match.email or item.email,
            match.subscriber_uuid,
            match.campaign_uuid or "-",
            item.source,
        )
    else:
        log.info(
            "bounce unmatched (%s): source=%s %s",
            match.reason,
            item.source,
            match.detail,
        )


def _match(
    item: NewBounce,
    sent: dict[str, SentRef],
    verp: dict[str, SentRef | None],
    by_uuid: dict[uuidlib.UUID, Subscriber],
    by_email: dict[str, Subscriber],
) -> Match:
    header_miss = ""
    if item.subscriber_uuid:
        subscriber = by_uuid.get(as_uuid(item.subscriber_uuid))
        if subscriber is not None:
            return Match(subscriber, item.campaign_uuid, "header", item.email or "")
        header_miss = f"subscriber uuid {item.subscriber_uuid} is not a subscriber"
    refs = (
        ("message_id", sent.get(_message_id_key(item.original_message_id or ""))),
        ("verp", verp.get(item.verp_token or "")),
    )
    for via, ref in refs:
        subscriber = by_uuid.get(as_uuid(ref.subscriber_uuid)) if ref else None
        if subscriber is not None:
            return Match(subscriber, ref.campaign_uuid, via, item.email or "")
    emails = candidates(item)
    for email in emails:
        subscriber = by_email.get(_email_key(email))
        if subscriber is not None:
            return Match(subscriber, item.campaign_uuid, "recipient", email)
    if header_miss:
        return Match(
            None,
            email=item.email or "",
            reason=Reason.UNKNOWN_SUBSCRIBER,
            detail=header_miss,
        )
    if not emails:
        return Match(
            None,
            reason=Reason.NO_RECIPIENT,
            detail="the bounce names no recipient (no Final-Recipient or Original-Recipient)",
        )
    return Match(
        None,
        email=emails[0],
        reason=Reason.NOT_SUBSCRIBER,
        detail=f"{', '.join(emails)}: no subscriber has this email address",
    )
