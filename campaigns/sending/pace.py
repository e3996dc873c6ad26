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

from collections.abc import Callable
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from campaigns import settings_keys
from campaigns.models import Delivery, SendMoment, SendPace
from stmails import config

ROW = 1


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
    count, span = window(rate)
    pace = connection.ops.quote_name(SendPace._meta.db_table)
    moments = connection.ops.quote_name(SendMoment._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        for _ in range(2):
            cursor.execute(
                f"UPDATE {pace} SET seq = seq + 1 WHERE id = %s "  # noqa: S608 (no input in the names)
                "RETURNING seq, next_at, per_window",
                [ROW],
            )
            row = cursor.fetchone()
            if row is not None:
                break
            SendPace.objects.get_or_create(pk=ROW)  # first use: make the row
        seq, latest, kept = row
        if kept != count:  # another rate: the times kept no longer apply
            cursor.execute(f"DELETE FROM {moments}")  # noqa: S608
            cursor.execute(
                f"UPDATE {pace} SET per_window = %s WHERE id = %s",  # noqa: S608
                [count, ROW],
            )
        slot = seq % count
        cursor.execute(f"SELECT at FROM {moments} WHERE slot = %s", [slot])  # noqa: S608
        earlier = cursor.fetchone()
        at = max(now, latest, earlier[0] + span if earlier else now)
        cursor.execute(
            f"INSERT INTO {moments} (slot, seq, at) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (slot) DO UPDATE SET seq = EXCLUDED.seq, at = EXCLUDED.at",
            [slot, seq, at],
        )
        cursor.execute(
            f"UPDATE {pace} SET next_at = %s WHERE id = %s",  # noqa: S608
            [at, ROW],
        )
    return at, seq


def finished(seq: int, rate: float, at: float) -> None:
    """Message `seq` is done (the server answered) at `at`: the message one
    window later may start one window after that."""
    count, _ = window(rate)
    moments = connection.ops.quote_name(SendMoment._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {moments} SET at = %s "  # noqa: S608
            "WHERE slot = %s AND seq = %s AND at < %s",
            [at, seq % count, seq, at],
        )


class SharedPacer:
    """At most `rate` messages per second from all senders together: wait()
    before a message, finished() once the server answered it."""

    def __init__(
        self, rate: float, sleep: Callable[[float], None], clock: Callable[[], float]
    ):
        self.rate = rate
        self.sleep, self.clock = sleep, clock
        self.seq: int | None = None

    def wait(self) -> None:
        now = self.clock()
        at, self.seq = reserve(now, self.rate)
        if at > now:
            self.sleep(at - now)

    def finished(self) -> None:
        if self.seq is not None:
            finished(self.seq, self.rate, self.clock())
            self.seq = None


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
