"""One fetched batch of mailbox messages: parse, remember, match, record.

A batch costs a handful of queries whatever its size: one for the content
hashes already remembered, one matching every recipient and subscriber uuid
of the batch, one for the event keys already stored, and bulk inserts of the
raw copies, unmatched entries and memory rows. Only `record_bounce` stays per
bounce, because it applies the thresholds in the same transaction.

The whole batch is one transaction, committed before any of its messages is
disposed of. If one message breaks it, the batch is redone message by message,
each in its own savepoint, so only the bad one is left (unremembered, thus
retried by the next scan) and counted as an error.

Memory: a batch keeps each message's parse and, for bounces and unparseable
messages only, the first RawMessage.RAW_CAP bytes: at most BATCH x RAW_CAP,
however large the mailbox.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from bounces import matching
from bounces.models import Bounce, MailboxMessage, RawMessage, UnmatchedBounce
from bounces.parsing.events import BounceEvent, ParsedMessage
from bounces.services import NewBounce, record_bounce

if TYPE_CHECKING:
    from bounces.scanning import ScanResult

log = logging.getLogger(__name__)
Outcome = MailboxMessage.Outcome
PARSE_CAP = 2_000_000
# Rows per INSERT or IN (...) list: SQLite allows 32,766 parameters per query.
CHUNK = 500


# CPU seconds one message may take to parse. Over it, the message is listed as
# unparseable with that reason, left in the mailbox, and the scan goes on.
PARSE_BUDGET_SECONDS = 2.0


def parse(raw: bytes) -> ParsedMessage:
    from bounces.parsing.message import parse_within_budget

    try:
        return parse_within_budget(
            raw, seconds=PARSE_BUDGET_SECONDS, max_bytes=PARSE_CAP
        )
    except Exception as e:  # noqa: BLE001 - the parser promises not to raise; be sure
        return ParsedMessage(kind="unparseable", error=f"{type(e).__name__}: {e}")


@dataclass
class Fetched:
    """One message as the batch needs it, without the full raw bytes."""

    key: str  # POP3 UIDL or IMAP "<UIDVALIDITY>:<UID>"
    sha: str
    size: int
    parsed: ParsedMessage
    data: bytes  # the first RAW_CAP bytes, for bounces and unparseable messages only

    @property
    def keeps_raw(self) -> bool:
        return self.parsed.kind == "unparseable" or bool(self.parsed.events)


def read_message(key: str, raw: bytes) -> Fetched:
    parsed = parse(raw)
    fetched = Fetched(key, hashlib.sha256(raw).hexdigest(), len(raw), parsed, b"")
    if fetched.keeps_raw:
        fetched.data = raw[: RawMessage.RAW_CAP]
    return fetched


def disposal(box: dict, outcome: str) -> tuple[str, str]:
    """(action, folder) for a message of this outcome; action "" leaves it."""
    if outcome in (Outcome.RECORDED, Outcome.UNMATCHED):
        action = box["after_bounce"]
        return action, box["processed_folder"] if action == "move" else ""
    if box["non_bounce"] == "move":
        return "move", box["non_bounce_folder"]
    return "", ""


@dataclass
class Stored:
    """A remembered message, to dispose of once its batch is committed."""

    key: str
    outcome: str
    row_id: int


class BatchProcessor:
    """Processes batches of one scan; counts go into the scan's ScanResult."""

    def __init__(
        self, box: dict, result: ScanResult, config: dict[str, Any], *, write: bool
    ):
        self.box = box
        self.uuid = uuidlib.UUID(box["uuid"])
        self.result = result
        self.config = config
        self.write = write

    def count(self, messages: list[Fetched]) -> None:
        """Dry run: parse and match only; nothing is written or remembered."""
        self._process(messages)

    def store(self, messages: list[Fetched]) -> list[Stored]:
        """Process and remember the messages in one transaction (see the module doc)."""
        before = copy.deepcopy(self.result.__dict__)
        try:
            with transaction.atomic():
                return self._process(messages)
        except Exception:
            log.warning(
                "mailbox %s: a batch failed; retrying one by one", self.box["name"]
            )
            self.result.__dict__.update(copy.deepcopy(before))
        stored: list[Stored] = []
        with transaction.atomic():
            for message in messages:
                before = copy.deepcopy(self.result.__dict__)
                try:
                    with transaction.atomic():
                        stored.extend(self._process([message]))
                except Exception:
                    log.exception(
                        "mailbox %s: message %s failed", self.box["name"], message.key
                    )
                    self.result.__dict__.update(before)
                    self.result.seen += 1
                    self.result.errors += 1
        return stored

    # the batch ----------------------------------------------------------------------

    def _process(self, messages: list[Fetched]) -> list[Stored]:
        if not self.write:
            self._outcomes(messages)
            return []
        # Same content as a remembered message (UIDVALIDITY reset, a copy), or as
        # an earlier message of this batch: not processed again.
        known = self._known_hashes(messages)
        fresh: dict[str, Fetched] = {}
        for message in messages:
            if message.sha not in known:
                fresh.setdefault(message.sha, message)
        outcomes = dict(zip(fresh, self._outcomes(list(fresh.values())), strict=True))
        rows = []
        for message in messages:
            if fresh.get(message.sha) is message:
                outcome, kind, detail = outcomes[message.sha]
            else:
                self.result.skipped += 1
                outcome, kind = known.get(message.sha) or outcomes[message.sha][:2]
                detail = "same content as before"
            rows.append(
                MailboxMessage(
                    mailbox_uuid=self.uuid,
                    uid=message.key,
                    sha256=message.sha,
                    outcome=outcome,
                    kind=kind,
                    detail=detail[:2000],
                    disposed=disposal(self.box, outcome)[0] == "",
                )
            )
        created = MailboxMessage.objects.bulk_create(rows, batch_size=CHUNK)
        return [Stored(row.uid, row.outcome, row.id) for row in created]

    def _known_hashes(self, messages: list[Fetched]) -> dict[str, tuple[str, str]]:
        hashes = sorted({m.sha for m in messages})
        known: dict[str, tuple[str, str]] = {}
        for start in range(0, len(hashes), CHUNK):
            rows = MailboxMessage.objects.filter(
                mailbox_uuid=self.uuid, sha256__in=hashes[start : start + CHUNK]
            ).values_list("sha256", "outcome", "kind")
            for sha, outcome, kind in rows:
                known.setdefault(sha, (outcome, kind))
        return known

    def _outcomes(self, messages: list[Fetched]) -> list[tuple[str, str, str]]:
        """Count, match and (with write) record: (outcome, kind, detail) each."""
        result = self.result
        events = [(e, m.parsed) for m in messages for e in m.parsed.events]
        matches = iter(matching.match_events(events))
        found = [[next(matches) for _ in m.parsed.events] for m in messages]
        raw_ids = self._store_raw(messages) if self.write else {}
        stored_keys = self._stored_event_keys(messages, found) if self.write else set()
        unmatched: list[UnmatchedBounce] = []
        outcomes = []
        for message, message_matches in zip(messages, found, strict=True):
            parsed = message.parsed
            result.seen += 1
            if parsed.kind == "unparseable":
                result.unparseable += 1
                unmatched.append(
                    self._unmatched(
                        UnmatchedBounce.Reason.UNPARSEABLE,
                        parsed.error or "",
                        raw_ids.get(message.sha),
                    )
                )
                outcomes.append((Outcome.UNPARSEABLE, parsed.kind, parsed.error or ""))
                continue
            if not parsed.events:
                result.not_bounces += 1
                outcomes.append((Outcome.NOT_BOUNCE, parsed.kind, parsed.subject or ""))
                continue
            recorded = 0
            for index, event in enumerate(parsed.events):
                match = message_matches[index]
                if not match.matched:
                    result.unmatched += 1
                    unmatched.append(
                        self._unmatched(
                            match.reason,
                            match.detail,
                            raw_ids.get(message.sha),
                            email=match.email,
                            event=event,
                        )
                    )
                    continue
                recorded += 1
                if not self.write:
                    result.recorded[event.type] += 1
                    continue
                key = f"mbox:{message.sha}:{index}"
                if key in stored_keys:
                    result.duplicates += 1
                    continue
                self._record(event, match, message, key, raw_ids)
            outcomes.append(
                (
                    Outcome.RECORDED if recorded else Outcome.UNMATCHED,
                    parsed.kind,
                    f"{len(parsed.events)} event(s), {recorded} matched",
                )
            )
        if self.write and unmatched:
            UnmatchedBounce.objects.bulk_create(unmatched, batch_size=CHUNK)
        return outcomes

    def _store_raw(self, messages: list[Fetched]) -> dict[str, int]:
        """Insert the raw copies ({sha: id}); the same content may already be
        stored (another mailbox got it too): ON CONFLICT returns that row."""
        rows = [
            RawMessage(
                sha256=m.sha,
                data=m.data,
                size=m.size,
                mailbox_name=self.box["name"],
                subject=(m.parsed.subject or "")[:500],
            )
            for m in messages
            if m.keeps_raw
        ]
        ids = {}
        for start in range(0, len(rows), CHUNK):
            created = RawMessage.objects.bulk_create(
                rows[start : start + CHUNK],
                update_conflicts=True,
                unique_fields=["sha256"],
                update_fields=["sha256"],
            )
            ids.update((row.sha256, row.id) for row in created)
        return ids

    def _stored_event_keys(
        self, messages: list[Fetched], found: list[list[matching.Match]]
    ) -> set[str]:
        keys = [
            f"mbox:{m.sha}:{i}"
            for m, matches in zip(messages, found, strict=True)
            for i, match in enumerate(matches)
            if match.matched
        ]
        stored: set[str] = set()
        for start in range(0, len(keys), CHUNK):
            stored.update(
                Bounce.objects.filter(
                    event_key__in=keys[start : start + CHUNK]
                ).values_list("event_key", flat=True)
            )
        return stored

    def _unmatched(
        self,
        reason: str,
        detail: str,
        raw_id: int | None,
        *,
        email: str = "",
        event: BounceEvent | None = None,
    ) -> UnmatchedBounce:
        return UnmatchedBounce(
            reason=reason,
            detail=detail,
            email=(email or "")[:320],
            type=event.type if event else "",
            status_code=((event.status if event else None) or "")[:20],
            mailbox_uuid=self.uuid,
            mailbox_name=self.box["name"],
            raw_message_id=raw_id,
        )

    def _record(
        self,
        event: BounceEvent,
        match: matching.Match,
        message: Fetched,
        event_key: str,
        raw_ids: dict[str, int],
    ) -> None:
        """Record one matched bounce, without a savepoint of its own.

        Any error breaks the batch, which is then redone message by message: a
        bounce stored meanwhile is found by the event-key lookup, a subscriber
        deleted since matching is not matched again (an unmatched entry).
        """
        parsed = message.parsed
        meta = {
            "mailbox": self.box["name"],
            "status": event.status,
            "reason": event.reason,
            "diagnostic": (event.diagnostic or "")[:1000] or None,
            "remote_mta": event.remote_mta,
            "action": event.action,
            "original_message_id": event.message_id,
            "matched_by": match.via,
            "kind": parsed.kind,
        }
        recorded = record_bounce(
            NewBounce(
                type=event.type,
                source=self.box["type"],
                subscriber_uuid=match.subscriber_uuid,
                email=event.email or match.email,
                campaign_uuid=match.campaign_uuid,
                meta={k: v for k, v in meta.items() if v},
                created_at=bounce_date(parsed.date),
                event_key=event_key,
                provider_message_id=(parsed.message_id or "")[:500],
                status_code=(event.status or "")[:20],
                raw_message_id=raw_ids.get(message.sha),
                reason=event.reason or "",
            ),
            check_enabled=False,
            config=self.config,
            key_checked=True,
            savepoint=False,
        )
        if recorded.created:
            self.result.recorded[event.type] += 1
        else:
            self.result.duplicates += 1


def bounce_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    now = timezone.now()
    # A wrong clock on the remote MTA must not put bounces in the future.
    return when if when <= now else now
