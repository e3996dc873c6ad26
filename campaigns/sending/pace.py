"""The sending rate, shared by every process that sends campaign mail.

listmonk's meaning: app.concurrency × app.message_rate messages per second in
total (default 10 × 10 = 100/s). Each message reserves its send time in one
short transaction on the SendPace row (campaigns.models), which serializes
all processes on all machines, then sleeps until then. So the rate holds
whatever the number of worker processes, and a slot that runs alone sends as
fast as the shared rate allows.

The rule is a sliding window: at most `rate` messages in any one second (any
N messages in any N/rate seconds, N the rate rounded down, for rates that are
not whole). A message starts at the latest of: now, the previous message's
start (times never go backwards), and one window after the message N earlier
finished (SendMoment keeps the last N times: the start, then the moment the
server answered). Counting from the answer, no second ever holds more than the
ceiling even as the receiving server sees it, after the SMTP round trips.
Below the ceiling nobody waits: strict spacing (one message every 1/rate
seconds) would make a sender wait for its turn whenever another had just
sent, even when both together were slower than the rate, and lose those waits
(it cost a fifth of the rate with two processes).

On top, listmonk's own sliding window (app.message_sliding_window: at most
app.message_sliding_window_rate messages per duration, e.g. per hour) is
counted from the delivery rows: window_share.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from campaigns import settings_keys
from campaigns.models import Delivery, SendMoment, SendPace
from stmails import config
from stmails.lib.pg_arrays import float_array, int_array

ROW = 1
# Rates from which reservations are taken in groups (SharedPacer).
GROUP_ABOVE = 200.0
GROUP_SPAN = 0.01  # seconds of sending one group holds
MAX_GROUP = 200  # a chunk: at 20,000/s and more, one reservation per chunk


def ceiling(settings: dict | None = None) -> float:
    """Messages per second in force: concurrency × message rate."""
    return settings_keys.ceiling(
        settings or config.get_values("app.concurrency", "app.message_rate")
    )


def window(rate: float) -> tuple[int, float]:
    """(N messages, seconds): at most N in any window of that many seconds."""
    count = max(1, int(rate))
    return count, count / rate


def reserve(now: float, rate: float) -> tuple[float, int]:
    """Take the next start time (Unix seconds, never before `now`) for one
    message at most `rate` per second from all senders together; returns it
    and the message's sequence number (for finished). Atomic across
    processes: the first UPDATE holds the pace row until commit."""
    return reserve_many(now, rate, 1)[0]


def reserve_many(now: float, rate: float, n: int) -> list[tuple[float, int]]:
    """reserve() for the next n messages at once, in one transaction."""
    count, span = window(rate)
    pg = connection.vendor == "postgresql"
    pace = connection.ops.quote_name(SendPace._meta.db_table)
    moments = connection.ops.quote_name(SendMoment._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        for _ in range(2):
            cursor.execute(
                f"UPDATE {pace} SET seq = seq + %s WHERE id = %s "  # noqa: S608 (no input in the names)
                "RETURNING seq, next_at, per_window",
                [n, ROW],
            )
            row = cursor.fetchone()
            if row is not None:
                break
            SendPace.objects.get_or_create(pk=ROW)  # first use: make the row
        last, latest, kept = row
        if kept != count:  # another rate: the times kept no longer apply
            cursor.execute(f"DELETE FROM {moments}")  # noqa: S608
            cursor.execute(
                f"UPDATE {pace} SET per_window = %s WHERE id = %s",  # noqa: S608
                [count, ROW],
            )
        seqs = range(last - n + 1, last + 1)
        slots = sorted({seq % count for seq in seqs})
        if pg:  # one array parameter, not one parameter a slot
            cursor.execute(
                f"SELECT slot, at FROM {moments} WHERE slot = ANY(%s::integer[])",  # noqa: S608
                [int_array(slots)],
            )
        else:
            cursor.execute(
                f"SELECT slot, at FROM {moments} WHERE slot IN "  # noqa: S608
                f"({', '.join(['%s'] * len(slots))})",
                slots,
            )
        earlier = dict(cursor.fetchall())
        taken = []
        for seq in seqs:
            before = earlier.get(seq % count)
            latest = max(now, latest, before + span if before is not None else now)
            earlier[seq % count] = latest
            taken.append((latest, seq))
        # One statement for the group; a slot once (its latest time).
        rows = {seq % count: (seq % count, seq, at) for at, seq in taken}
        upsert = (
            " ON CONFLICT (slot) DO UPDATE SET seq = EXCLUDED.seq, at = EXCLUDED.at"
        )
        if pg:
            cursor.execute(
                f"INSERT INTO {moments} (slot, seq, at) SELECT * FROM unnest("  # noqa: S608
                "%s::integer[], %s::bigint[], %s::double precision[])" + upsert,
                [int_array(r[0] for r in rows.values()),
                 int_array(r[1] for r in rows.values()),
                 float_array(r[2] for r in rows.values())],
            )  # fmt: skip
        else:
            cursor.execute(
                f"INSERT INTO {moments} (slot, seq, at) VALUES "  # noqa: S608
                + ", ".join(["(%s, %s, %s)"] * len(rows))
                + upsert,
                [value for row in rows.values() for value in row],
            )
        cursor.execute(
            f"UPDATE {pace} SET next_at = %s WHERE id = %s",  # noqa: S608
            [latest, ROW],
        )
    return taken


def finished(seq: int, rate: float, at: float) -> None:
    """Message `seq` is done (the server answered) at `at`: the message one
    window later may start one window after that."""
    finished_many([(seq, at)], rate)


def finished_many(done: list[tuple[int, float]], rate: float) -> None:
    count, _ = window(rate)
    moments = connection.ops.quote_name(SendMoment._meta.db_table)
    if not done:
        return
    if connection.vendor == "postgresql":
        # Arrays, not VALUES: the planner then looks each slot up by its key
        # instead of reading the whole table (a hash join) every time.
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {moments} AS m SET at = v.at FROM unnest(%s::integer[], "  # noqa: S608
                "%s::bigint[], %s::double precision[]) AS v(slot, seq, at) "
                "WHERE m.slot = v.slot AND m.seq = v.seq AND m.at < v.at",
                [int_array(seq % count for seq, _ in done),
                 int_array(seq for seq, _ in done), float_array(at for _, at in done)],
            )  # fmt: skip
        return
    values = ", ".join(["(%s, %s, %s)"] * len(done))
    with connection.cursor() as cursor:
        # One statement for them all (VALUES columns are column1..3 in both
        # PostgreSQL and SQLite).
        cursor.execute(
            f"UPDATE {moments} SET at = v.column3 FROM (VALUES {values}) AS v "  # noqa: S608
            f"WHERE {moments}.slot = v.column1 AND {moments}.seq = v.column2 "
            f"AND {moments}.at < v.column3",
            [value for seq, at in done for value in (seq % count, seq, at)],
        )


def group_size(rate: float) -> int:
    """Send times one reservation takes: one below GROUP_ABOVE messages/s
    (exact pacing), else about GROUP_SPAN seconds' worth (at most MAX_GROUP):
    one transaction per message would cost more than the message."""
    if rate < GROUP_ABOVE:
        return 1
    return max(1, min(MAX_GROUP, int(rate * GROUP_SPAN)))


class SharedPacer:
    """At most `rate` messages per second from all senders together: wait()
    before a message, finished() once the server answered it, close() when
    done (saves the answer times not written yet).

    At high rates the pacer reserves a few send times at once (group_size)
    and writes the answer times with the next reservation: other senders see
    them a few milliseconds late, which can let a message start that much
    early at the very edge of the window. Times reserved and not used in time
    are dropped (never saved up for a burst)."""

    def __init__(
        self, rate: float, sleep: Callable[[float], None], clock: Callable[[], float]
    ):
        self.rate = rate
        self.sleep, self.clock = sleep, clock
        self.seq: int | None = None
        self.group = group_size(rate)
        self.reserved: deque[tuple[float, int]] = deque()
        self.done: list[tuple[int, float]] = []
        self.stale_after = window(rate)[1]

    def wait(self) -> None:
        now = self.clock()
        while self.reserved and self.reserved[0][0] < now - self.stale_after:
            self.reserved.popleft()
        if not self.reserved:
            self.flush()
            self.reserved.extend(reserve_many(now, self.rate, self.group))
        at, self.seq = self.reserved.popleft()
        if at > now:
            self.sleep(at - now)

    def finished(self) -> None:
        if self.seq is not None:
            self.done.append((self.seq, self.clock()))
            self.seq = None
            if self.group == 1:
                self.flush()

    def flush(self) -> None:
        if self.done:
            finished_many(self.done, self.rate)
            self.done = []

    def close(self) -> None:
        self.flush()
        self.reserved.clear()


DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def parse_duration(value: str) -> float:
    for unit in ("ms", "s", "m", "h"):
        if value.endswith(unit) and value[: -len(unit)].isdigit():
            return int(value[: -len(unit)]) * DURATION_UNITS[unit]
    raise ValueError(f"not a duration: {value!r}")


def window_share(
    settings: dict, slot: int, slots: int, chunk: int
) -> tuple[int, float]:
    """listmonk's app.message_sliding_window: (messages this slot may send now,
    at most `chunk`; seconds until the window frees some)."""
    if not settings["app.message_sliding_window"]:
        return chunk, 0.0
    span = parse_duration(settings["app.message_sliding_window_duration"])
    since = timezone.now() - timedelta(seconds=span)
    # Claimed rows count too: they are about to be sent.
    used = Delivery.objects.filter(
        status__in=(Delivery.Status.SENT, Delivery.Status.SENDING), sent_at__gte=since
    )
    allowed = settings["app.message_sliding_window_rate"] - used.count()
    if allowed <= 0:
        oldest = used.order_by("sent_at").values_list("sent_at", flat=True).first()
        wait = (oldest - since).total_seconds() if oldest else span
        return 0, max(1.0, wait)
    share = allowed // slots + (1 if slot < allowed % slots else 0)
    return min(chunk, share), max(1.0, span / 10)
