"""Find the subscriber (and campaign) a parsed bounce is about, or say why not.

Order, first hit wins:
1. X-Stmails-Subscriber / X-Stmails-Campaign (or X-Listmonk-*) found in the
   returned original message: the parser puts them on the event.
2. The original message's Message-ID matched to a message stmails sent (the
   outgoing mail queue keeps each one's Message-ID, subscriber and campaign).
3. A VERP return address (bounces+<token>@...) the bounce was sent to: the
   token is a delivery id signed with a key derived from SECRET_KEY (see
   stmails.lib.signing); campaign messages use it when campaign.verp_enabled.
4. The recipient matched to a subscriber's email, case-insensitively: the
   event's email (the Original-Recipient when the DSN has one, else the
   Final-Recipient), then Original-Recipient, then Final-Recipient (an address
   after forwarding or aliasing may be the one subscribed).

`match_events` matches a whole batch with one subscriber query.
"""

from __future__ import annotations

import logging
import uuid as uuidlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Lower

from bounces.models import UnmatchedBounce
from bounces.parsing.events import BounceEvent, ParsedMessage
from campaigns.models import Campaign, Delivery
from campaigns.sending.message import VERP_SALT
from stmails.lib import signing
from stmails.models import OutgoingMail
from subscribers.models import Subscriber

Reason = UnmatchedBounce.Reason
log = logging.getLogger(__name__)
VIA_WORDS = {
    "header": "X-Stmails-Subscriber header",
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
    subscriber_uuid: str | None
    campaign_uuid: str | None = None
    via: str = ""  # header | message_id | verp | recipient
    email: str = ""
    reason: str = ""  # an UnmatchedBounce.Reason value when nobody matched
    detail: str = ""

    @property
    def matched(self) -> bool:
        return self.subscriber_uuid is not None


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


@dataclass
class _Found:
    """Subscriber uuids (as str) by uuid and by lowercased email."""

    by_uuid: dict[uuidlib.UUID, str]
    by_email: dict[str, str]
    by_message_id: dict[str, SentRef] = field(default_factory=dict)


def _as_uuid(value: str) -> uuidlib.UUID | None:
    try:
        return uuidlib.UUID(str(value))
    except ValueError:
        return None


def _email_key(email: str) -> str:
    # As find_subscriber compares: LOWER(email) = the stripped, lowercased address.
    return email.strip().lower()


def _candidates(event: BounceEvent) -> list[str]:
    """The event's recipient addresses in matching order, without repeats."""
    out: list[str] = []
    keys: set[str] = set()
    for email in (event.email, event.original_recipient, event.final_recipient):
        if email and email.strip() and _email_key(email) not in keys:
            keys.add(_email_key(email))
            out.append(email)
    return out


def _lookup(uuids: set[uuidlib.UUID], emails: set[str]) -> _Found:
    found = _Found({}, {})
    uuid_list, email_list = sorted(uuids), sorted(emails)
    for start in range(0, max(len(uuid_list), len(email_list)), CHUNK):
        some_uuids = uuid_list[start : start + CHUNK]
        some_emails = email_list[start : start + CHUNK]
        rows = (
            Subscriber.objects.annotate(email_key=Lower("email"))
            .filter(Q(uuid__in=some_uuids) | Q(email_key__in=some_emails))
            .values_list("uuid", "email_key")
        )
        for uuid, email_key in rows:
            found.by_uuid[uuid] = str(uuid)
            found.by_email[email_key] = str(uuid)
    return found


def match_events(items: Sequence[tuple[BounceEvent, ParsedMessage]]) -> list[Match]:
    """`match_event` for many events: one subscriber query (per 400 values), and
    one Message-ID query when events carry one no header explains."""
    uuids: set[uuidlib.UUID] = set()
    emails: set[str] = set()
    for event, _parsed in items:
        if event.subscriber_uuid and (key := _as_uuid(event.subscriber_uuid)):
            uuids.add(key)
        emails.update(_email_key(e) for e in _candidates(event))
    found = _lookup(uuids, emails) if uuids or emails else _Found({}, {})
    # Message-IDs only for events no header names: the header is the surer link.
    message_ids = {
        event.message_id
        for event, _parsed in items
        if event.message_id
        and not (
            event.subscriber_uuid and _as_uuid(event.subscriber_uuid) in found.by_uuid
        )
    }
    if message_ids:
        found.by_message_id = find_sent_messages(message_ids)
    matches = [_match(event, parsed, found) for event, parsed in items]
    for (event, _parsed), match in zip(items, matches, strict=True):
        log_decision(event, match)
    return matches


def log_decision(event: BounceEvent, match: Match) -> None:
    """One line per bounce: how it was matched, or why nobody was."""
    if match.matched:
        log.info(
            "bounce matched by %s: recipient=%s subscriber=%s campaign=%s",
            VIA_WORDS.get(match.via, match.via),
            match.email or event.email,
            match.subscriber_uuid,
            match.campaign_uuid or "-",
        )
    else:
        log.info("bounce unmatched (%s): %s", match.reason, match.detail)


def match_event(event: BounceEvent, parsed: ParsedMessage) -> Match:
    """The subscriber (uuid) and campaign of one event, or the reason for none."""
    return match_events([(event, parsed)])[0]


def _match(event: BounceEvent, parsed: ParsedMessage, found: _Found) -> Match:
    header_miss = ""
    if event.subscriber_uuid:
        key = _as_uuid(event.subscriber_uuid)
        uuid = found.by_uuid.get(key) if key else None
        if uuid:
            return Match(uuid, event.campaign_uuid, "header", event.email)
        header_miss = (
            f"X-Stmails-Subscriber {event.subscriber_uuid} is not a subscriber"
        )
    if event.message_id:
        ref = found.by_message_id.get(_message_id_key(event.message_id))
        if ref:
            return Match(
                ref.subscriber_uuid, ref.campaign_uuid, "message_id", event.email
            )
    if parsed.verp_token:
        ref = decode_verp(parsed.verp_token)
        if ref:
            return Match(ref.subscriber_uuid, ref.campaign_uuid, "verp", event.email)
    candidates = _candidates(event)
    for email in candidates:
        uuid = found.by_email.get(_email_key(email))
        if uuid:
            return Match(uuid, event.campaign_uuid, "recipient", email)
    if header_miss:
        return Match(
            None,
            email=event.email,
            reason=Reason.UNKNOWN_SUBSCRIBER,
            detail=header_miss,
        )
    if not candidates:
        return Match(
            None,
            reason=Reason.NO_RECIPIENT,
            detail="the bounce names no recipient (no Final-Recipient or Original-Recipient)",
        )
    return Match(
        None,
        email=candidates[0],
        reason=Reason.NOT_SUBSCRIBER,
        detail=f"{', '.join(candidates)}: no subscriber has this email address",
    )
