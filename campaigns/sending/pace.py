"""The sending rate, shared by every process that sends campaign mail.

listmonk's meaning: app.concurrency × app.message_rate messages per second in
total (default 10 × 10 = 100/s). One row (campaigns.models.SendPace) holds the
next free send time; each message reserves its moment with one atomic
UPDATE ... RETURNING (PostgreSQL and SQLite both have it), then sleeps until
then. So the rate holds whatever the number of worker processes, and a slot
that runs alone sends as fast as the shared rate allows: slots that cannot run
in parallel (fewer processes than slots) never lower it.

Moments are at least 1/rate apart, so no window of one second ever holds more
than `rate` of them: the ceiling holds per second, not only on average. There
is no catch-up burst (as uber-go/ratelimit's slack would give): a sender that
comes late starts the schedule again from now. The rate holds as long as some
process is ready for the next moment when it comes, which is why a message is
built before its moment is reserved (campaigns.sending.sender).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection

from campaigns import settings_keys
from campaigns.models import SendPace
from stmails import config

ROW = 1


def ceiling(settings: dict | None = None) -> float:
    """Messages per second in force: concurrency × message rate."""
    return settings_keys.ceiling(
        settings or config.get_values("app.concurrency", "app.message_rate")
    )


def reserve(now: float, interval: float) -> float:
    """Take the next free send time and return it: the later of `now` and the
    last reserved moment + `interval` (seconds). Atomic across processes:
    concurrent callers each get their own moment, `interval` seconds apart.
    """
    table = connection.ops.quote_name(SendPace._meta.db_table)
    sql = (
        f"UPDATE {table} SET next_at = "  # noqa: S608 (no input in the names)
        "(CASE WHEN next_at > %s THEN next_at ELSE %s END) + %s "
        "WHERE id = %s RETURNING next_at"
    )
    for _ in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [now, now, interval, ROW])
            row = cursor.fetchone()
        if row is not None:
            return float(row[0]) - interval
        SendPace.objects.get_or_create(pk=ROW)  # first use: make the row
    raise RuntimeError("the send pace row cannot be made")  # pragma: no cover


class SharedPacer:
    """At most `rate` messages per second from all senders together."""

    def __init__(
        self, rate: float, sleep: Callable[[float], None], clock: Callable[[], float]
    ):
        self.interval = 1.0 / rate
        self.sleep, self.clock = sleep, clock

    def wait(self) -> None:
        now = self.clock()
        at = reserve(now, self.interval)
        if at > now:
            self.sleep(at - now)
