"""PostgreSQL (psycopg 3) as Django's, but the per-request health check is free.

Django's CONN_HEALTH_CHECKS runs `SELECT 1` before the first query of every
request on a persistent connection: a round trip that cost POST
/webhooks/bounce a quarter of its requests (issue 19, bench/). Between
requests a healthy connection is idle and the server says nothing; a server
that restarts, or ends the session (pg_terminate_backend, idle timeouts),
sends its FATAL message and closes the socket, which makes it readable. So:
not idle, broken, or readable -> Django's real check; else usable, from a
zero-timeout poll of the socket.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        pgconn = conn.pgconn
        if (
            pgconn.status != pq.ConnStatus.OK
            or pgconn.transaction_status != pq.TransactionStatus.IDLE
        ):
            return super().is_usable()
        try:
            readable, _, _ = select.select([pgconn.socket], [], [], 0)
        except (OSError, ValueError):
            return False
        return super().is_usable() if readable else True
