"""The delivery rows' changes on the sending path: one statement each, in SQL.

The states and the crash policy are those of campaigns.sending.engine; this
module only makes them cheap. The claim of a row also records the previous
message of the connection as sent (its 250 came in before this claim), so a
worker killed at any point leaves at most one row in "sending" per
connection, and recover_stalled settles it as before. A message costs:

- without PIPELINING, two statements (three before, five with the pacer): the
  claim, before any SMTP traffic for the message, and its Message-ID, once
  the server accepted the recipient, before DATA;
- with PIPELINING, one: MAIL FROM, RCPT TO and DATA go out first, and once the
  server answered DATA with 354 the row is claimed with its Message-ID in one
  statement, before the message itself goes out. A worker killed before that
  leaves the row queued (the server drops a transaction without its message);
  a claim lost to another sender closes the connection in DATA, so the
  message never goes out twice.

From 200 messages/s (campaigns.sending.groups) one statement claims a group
of rows as sent with their Message-IDs and writes the group down (a twentieth
of a statement, and one row write, a message).

On PostgreSQL the sending run turns synchronous_commit off for its session
(`relaxed_commits`): a commit is visible to every other session at once (all a
killed worker's rows need), only the wait for the disk flush is skipped (on
the slow disk of the benchmark machine, 6 ms a commit: more than the whole
message). What that trades: if PostgreSQL itself crashes, the commits of its
last few hundred milliseconds (3 × wal_writer_delay) may be lost; a row whose
Message-ID was lost that way is queued again by recover_stalled, so the
messages of that last moment can go out twice. A worker crash (the usual case)
loses nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from django.db import connection

from campaigns.models import Delivery, SendGroup
from stmails.lib.pg_arrays import int_array, text_array

TABLE = connection.ops.quote_name(Delivery._meta.db_table)
QUEUED, SENDING, SENT = (
    Delivery.Status.QUEUED.value, Delivery.Status.SENDING.value,
    Delivery.Status.SENT.value,
)  # fmt: skip

# A claim, and the previous message's "sent", in one statement.
CLAIM_SQL = f"""
UPDATE {TABLE} SET
  status = CASE WHEN id = %s THEN %s ELSE %s END,
  attempts = CASE WHEN id = %s THEN %s ELSE attempts END,
  sent_at = CASE WHEN id = %s THEN %s ELSE %s END,
  smtp_code = CASE WHEN id = %s THEN smtp_code ELSE 250 END,
  message_id = CASE WHEN id = %s THEN %s ELSE message_id END,
  last_error = CASE WHEN id = %s THEN last_error ELSE '' END
WHERE (id = %s AND status = %s) OR (id = %s AND status = %s AND attempts = %s)
RETURNING id
"""  # noqa: S608 (no input in the names)
SENT_SQL = (
    f"UPDATE {TABLE} SET status = %s, sent_at = %s, smtp_code = 250, last_error = '' "  # noqa: S608
    "WHERE id = %s AND status = %s AND attempts = %s"
)
HANDED_SQL = (
    f"UPDATE {TABLE} SET message_id = %s "  # noqa: S608
    "WHERE id = %s AND status = %s AND attempts = %s"
)

Sent = tuple[int, int, datetime]  # (delivery id, attempt, when the 250 came)

# Groups (campaigns.sending.groups, from GROUP_ABOVE messages/s): a group's
# rows are claimed as "sent" with their Message-IDs, and the group itself is
# written down (SendGroup) in the same statement; the next claim drops the
# previous group. So a row is written once per message, not twice, and a
# worker that dies mid-group leaves its group behind for recover_stalled.
# On PostgreSQL the rows come as arrays (one statement text whatever the
# group's size, so it is prepared once). The status is compared through
# coalesce(), which no index covers, on purpose: during a campaign every row
# changes status within minutes, the planner's statistics lag behind, and
# with a plain comparison it read all queued rows through the status index
# for every group (12 ms instead of 1 ms with 20,000 queued).
GROUPS = connection.ops.quote_name(SendGroup._meta.db_table)
_GROUP_CLAIM = {
    "postgresql": (
        f"WITH gone AS (DELETE FROM {GROUPS} WHERE id = %s), "  # noqa: S608
        f"grp AS (INSERT INTO {GROUPS} (campaign_id, deliveries, claimed_at) "
        "VALUES (%s, %s::jsonb, %s) RETURNING id), "
        f"claimed AS (UPDATE {TABLE} AS d SET status = %s, attempts = v.attempt, "
        "sent_at = %s, message_id = v.message_id, smtp_code = 250, last_error = '' "
        "FROM unnest(%s::bigint[], %s::integer[], %s::varchar[]) "
        "AS v(id, attempt, message_id) "
        "WHERE d.id = v.id AND coalesce(d.status, '') = %s RETURNING d.id) "
        "SELECT grp.id, claimed.id FROM grp LEFT JOIN claimed ON true"
    ),
    "": (
        f"UPDATE {TABLE} SET status = %s, attempts = %s, sent_at = %s, "  # noqa: S608
        "message_id = %s, smtp_code = 250, last_error = '' "
        "WHERE id = %s AND status = %s"
    ),
}
_GROUP_RELEASE = {
    "postgresql": (
        f"UPDATE {TABLE} AS d SET status = %s, attempts = v.attempt - 1, "  # noqa: S608
        "sent_at = NULL, message_id = '', smtp_code = NULL "
        "FROM unnest(%s::bigint[], %s::integer[]) "
        "AS v(id, attempt) WHERE d.id = v.id AND coalesce(d.status, '') = %s "
        "AND d.attempts = v.attempt"
    ),
    "": (
        f"UPDATE {TABLE} SET status = %s, attempts = attempts - 1, sent_at = NULL, "  # noqa: S608
        "message_id = '', smtp_code = NULL WHERE id = %s AND status = %s "
        "AND attempts = %s"
    ),
}


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _at(when: datetime):
    return connection.ops.adapt_datetimefield_value(when)


def claim(
    delivery_id: int,
    attempt: int,
    now: datetime,
    sent: Sent | None,
    message_id: str = "",
) -> bool:
    """Claim a queued row for this attempt (sending, sent_at = now, with its
    Message-ID when the message is about to go out) and record `sent` as
    sent; False when another sender has the row."""
    if sent is None:
        sent = (0, 0, now)  # no row has id 0
    done_id, done_attempt, done_at = sent
    done = _execute(
        CLAIM_SQL,
        [
            delivery_id, SENDING, SENT,
            delivery_id, attempt,
            delivery_id, _at(now), _at(done_at),
            delivery_id, delivery_id, message_id, delivery_id,
            delivery_id, QUEUED, done_id, SENDING, done_attempt,
        ],
    )  # fmt: skip
    return any(row[0] == delivery_id for row in done.rows)


def record_sent(sent: Sent) -> None:
    done_id, done_attempt, done_at = sent
    _execute(SENT_SQL, [SENT, _at(done_at), done_id, SENDING, done_attempt])


def handed(delivery_id: int, attempt: int, message_id: str) -> bool:
    """Commit the Message-ID before the message goes out (a stuck row with
    one is never sent again); False when the row is no longer this claim's."""
    return (
        _execute(HANDED_SQL, [message_id, delivery_id, SENDING, attempt]).rowcount == 1
    )


def claim_group(
    campaign_id: int,
    rows: list[tuple[int, int, str]],
    now: datetime,
    previous: int | None = None,
) -> tuple[int | None, set[int]]:
    """Claim queued rows (id, attempt, Message-ID) as sent, each with its
    Message-ID, write the group down and drop the `previous` group (all its
    messages answered), in one statement: (the group's id, the ids this
    sender got; the others are another's)."""
    if not rows:
        close_group(previous)
        return None, set()
    ids, attempts, message_ids = (list(column) for column in zip(*rows, strict=True))
    if _pg():
        params = [
            previous or 0, campaign_id, json.dumps(ids), _at(now),
            SENT, _at(now), int_array(ids), int_array(attempts),
            text_array(message_ids), QUEUED,
        ]  # fmt: skip
        got = _execute(_GROUP_CLAIM["postgresql"], params).rows
        return got[0][0], {row[1] for row in got if row[1] is not None}
    close_group(previous)
    group = SendGroup.objects.create(
        campaign_id=campaign_id, deliveries=ids, claimed_at=now
    )
    claimed = set()
    for row_id, attempt, message_id in rows:
        params = [SENT, attempt, _at(now), message_id, row_id, QUEUED]
        if _execute(_GROUP_CLAIM[""], params).rowcount == 1:
            claimed.add(row_id)
    return group.pk, claimed


def close_group(group_id: int | None) -> None:
    """Every message of the group was answered: nothing of it is in doubt."""
    if group_id is not None:
        _execute(f"DELETE FROM {GROUPS} WHERE id = %s", [group_id])  # noqa: S608


def release_group(rows: list[tuple[int, int]]) -> None:
    """Rows (id, attempt) of a group whose messages never went out: queued
    again as they were (the attempt is not spent)."""
    if not rows:
        return
    if _pg():
        ids, attempts = (list(column) for column in zip(*rows, strict=True))
        params = [QUEUED, int_array(ids), int_array(attempts), SENT]
        _execute(_GROUP_RELEASE["postgresql"], params)
        return
    for row_id, attempt in rows:
        _execute(_GROUP_RELEASE[""], [QUEUED, row_id, SENT, attempt])


@contextmanager
def relaxed_commits() -> Iterator[None]:
    """synchronous_commit off for this session while sending (PostgreSQL);
    see the module docstring for what it trades."""
    relax = connection.vendor == "postgresql"
    if relax:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        if relax and connection.connection is not None:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("RESET synchronous_commit")
            except Exception:  # noqa: BLE001 (a broken connection is closed anyway)
                connection.close()


def _execute(sql: str, params: list) -> Any:
    """What running `sql` did. On PostgreSQL straight on the raw connection,
    parameters bound by the server and the statement prepared as the
    connection's prepare_threshold says (STMAILS_PG_PREPARE, stmails.settings:
    off behind a transaction-pooling pgbouncer); elsewhere Django's cursor."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return _Done(
                cursor.rowcount, cursor.fetchall() if "RETURNING" in sql else []
            )
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params)
        return _Done(cursor.rowcount, cursor.fetchall() if cursor.description else [])


@dataclass
class _Done:
    rowcount: int
    rows: list
