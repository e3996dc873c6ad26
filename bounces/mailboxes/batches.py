"""One fetched batch of mailbox messages: parse, remember, record.

A batch costs a handful of queries whatever its size: one for the content
hashes already remembered, bulk inserts of the raw copies and memory rows, and
one bounces.recording.record_bounces call for every bounce of the batch (the
path every source takes: matching, unmatched entries, thresholds).

A bounce is identified by what it says, not by its bytes (`bounce_key`): a
DSN delivered twice, or fetched again after a move, is one bounce, enforced by
the unique event key. The remembered content hash leaves out the trace headers
a re-delivery adds (`content_hash`).

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
import logging
import uuid as uuidlib
from dataclasses import asdict, dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from bounces import matching
from bounces.identity import bounce_key, content_hash
from bounces.models import MailboxMessage, RawMessage, UnmatchedBounce
from bounces.parsing.events import BounceEvent, ParsedMessage
from bounces.recording import record_bounces, store_unmatched
from bounces.services import NewBounce

log = logging.getLogger(__name__)
Outcome = MailboxMessage.Outcome
PARSE_CAP = 2_000_000
# Rows per INSERT or IN (...) list: SQLite allows 32,766 parameters per query.
CHUNK = 500


@dataclass
class ScanResult:
    """What one scan did; BatchProcessor counts into it (bounces.mailboxes.scanning)."""

    mailbox: str
    dry_run: bool = False
    total: int = 0  # messages in the mailbox
    seen: int = 0  # new messages looked at
    skipped: int = 0  # processed by an earlier scan (only their disposal is repeated)
    recorded: dict[str, int] = field(
        default_factory=lambda: {"hard": 0, "soft": 0, "complaint": 0}
    )
    duplicates: int = 0  # bounces already stored (same event)
    unmatched: int = 0
    not_bounces: int = 0
    unparseable: int = 0
    errors: int = 0
    deleted: int = 0
    moved: int = 0
    flagged: int = 0
    error: str = ""  # the mailbox-level failure, e.g. the server's login error

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        rec = ", ".join(f"{t} {n}" for t, n in self.recorded.items())
        head = f"{self.mailbox}{' (dry run)' if self.dry_run else ''}"
        out = [
            f"{head}: {self.seen} new message(s) of {self.total}, "
            f"{self.skipped} already processed",
            f"  bounces recorded: {rec} ({self.duplicates} already stored)",
            f"  unmatched: {self.unmatched}, not bounces: {self.not_bounces}, "
            f"unparseable: {self.unparseable}, errors: {self.errors}",
            f"  deleted: {self.deleted}, moved: {self.moved}, flagged: {self.flagged}",
        ]
        if self.error:
            out.append(f"  failed: {self.error}")
        return out


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
    fetched = Fetched(key, content_hash(raw), len(raw), parsed, b"")
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
        raw_ids = self._store_raw(messages) if self.write else {}
        items: list[NewBounce] = []
        for message in messages:
            for index, event in enumerate(message.parsed.events):
                items.append(
                    self._new_bounce(event, message, index, raw_ids.get(message.sha))
                )
        matched = iter(self._record(items))
        unparseable: list[UnmatchedBounce] = []
        outcomes = []
        for message in messages:
            parsed = message.parsed
            result.seen += 1
            if parsed.kind == "unparseable":
                result.unparseable += 1
                unparseable.append(
                    UnmatchedBounce(
                        reason=UnmatchedBounce.Reason.UNPARSEABLE,
                        detail=parsed.error or "",
                        source=self.box["type"],
                        mailbox_uuid=self.uuid,
                        mailbox_name=self.box["name"],
                        raw_message_id=raw_ids.get(message.sha),
                    )
                )
                outcomes.append((Outcome.UNPARSEABLE, parsed.kind, parsed.error or ""))
                continue
            if not parsed.events:
                result.not_bounces += 1
                outcomes.append((Outcome.NOT_BOUNCE, parsed.kind, parsed.subject or ""))
                continue
            recorded = sum(next(matched) for _ in parsed.events)
            outcomes.append(
                (
                    Outcome.RECORDED if recorded else Outcome.UNMATCHED,
                    parsed.kind,
                    f"{len(parsed.events)} event(s), {recorded} matched",
                )
            )
        if self.write and unparseable:
            store_unmatched(unparseable)
        return outcomes

    def _record(self, items: list[NewBounce]) -> list[bool]:
        """Record (dry run: only match) the batch's bounces; matched or not, each."""
        result = self.result
        if not items:
            return []
        if not self.write:
            matches = matching.match_events(items)
            for item, match in zip(items, matches, strict=True):
                if match.matched:
                    result.recorded[item.type] += 1
                else:
                    result.unmatched += 1
            return [m.matched for m in matches]
        # Any error breaks the batch, which is then redone message by message: a
        # bounce stored meanwhile is found by its key, a subscriber deleted since
        # is not matched again (an unmatched entry).
        outcomes = record_bounces(items, config=self.config, check_enabled=False)
        for item, outcome in zip(items, outcomes, strict=True):
            if outcome.error is not None:
                result.unmatched += 1
            elif outcome.created:
                result.recorded[item.type] += 1
            else:
                result.duplicates += 1
        return [o.error is None for o in outcomes]

    def _new_bounce(
        self, event: BounceEvent, message: Fetched, index: int, raw_id: int | None
    ) -> NewBounce:
        parsed = message.parsed
        meta = {
            "mailbox": self.box["name"],
            "status": event.status,
            "reason": event.reason,
            "diagnostic": (event.diagnostic or "")[:1000] or None,
            "remote_mta": event.remote_mta,
            "action": event.action,
            "original_message_id": event.message_id,
            "kind": parsed.kind,
        }
        return event_bounce(
            event,
            parsed,
            source=self.box["type"],
            meta={k: v for k, v in meta.items() if v},
            created_at=bounce_date(parsed.date),
            event_key=bounce_key(parsed, event, f"{message.sha}:{index}"),
            provider_message_id=(parsed.message_id or "")[:500],
            raw_message_id=raw_id,
            mailbox_uuid=str(self.uuid),
            mailbox_name=self.box["name"],
        )

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


def event_bounce(event: BounceEvent, parsed: ParsedMessage, **fields: Any) -> NewBounce:
    """A parsed message's event as the bounce every source produces (matching fields)."""
    return NewBounce(
        type=event.type,
        source=fields.pop("source", "pop"),
        subscriber_uuid=event.subscriber_uuid,
        email=event.email,
        campaign_uuid=event.campaign_uuid,
        status_code=(event.status or "")[:20],
        original_message_id=event.message_id,
        verp_token=parsed.verp_token,
        recipients=tuple(
            r for r in (event.original_recipient, event.final_recipient) if r
        ),
        origin="mailbox",
        reason=event.reason or "",
        **fields,
    )


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
