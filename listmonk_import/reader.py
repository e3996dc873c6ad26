"""Reading a listmonk database: psycopg directly, read-only, schema-aware.

Not through Django's DATABASES: the listmonk database is someone else's, and
nothing here may write to it. Three locks make sure of that: the connection
starts with default_transaction_read_only, the session is set to READ ONLY
transactions, and the one transaction the import reads in is a READ ONLY
REPEATABLE READ one (which also gives every table the same snapshot, so a
listmonk still running during the import cannot make the tables disagree).

listmonk v3 to v6 differ in columns (lists.status, campaigns.body_source and
attribs came with v5): each query selects only the columns information_schema
says exist, and a missing one reads as absent from the row dict.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

BATCH = 500

# The columns each table is read with, when present (spec: listmonk-schema.md).
COLUMNS: dict[str, tuple[str, ...]] = {
    "subscribers": (
        "id",
        "uuid",
        "email",
        "name",
        "attribs",
        "status",
        "created_at",
        "updated_at",
    ),
    "lists": (
        "id",
        "uuid",
        "name",
        "type",
        "optin",
        "status",
        "tags",
        "description",
        "created_at",
        "updated_at",
    ),
    "subscriber_lists": (
        "subscriber_id",
        "list_id",
        "meta",
        "status",
        "created_at",
        "updated_at",
    ),
    "templates": (
        "id",
        "name",
        "type",
        "subject",
        "body",
        "body_source",
        "is_default",
        "created_at",
        "updated_at",
    ),
    "campaigns": (
        "id",
        "uuid",
        "name",
        "subject",
        "from_email",
        "body",
        "body_source",
        "altbody",
        "content_type",
        "send_at",
        "headers",
        "attribs",
        "status",
        "tags",
        "type",
        "messenger",
        "template_id",
        "to_send",
        "sent",
        "max_subscriber_id",
        "last_subscriber_id",
        "archive",
        "archive_slug",
        "archive_template_id",
        "archive_meta",
        "started_at",
        "created_at",
        "updated_at",
    ),
    "campaign_lists": ("id", "campaign_id", "list_id", "list_name"),
    "bounces": (
        "id",
        "subscriber_id",
        "campaign_id",
        "type",
        "source",
        "meta",
        "created_at",
    ),
    "links": ("id", "uuid", "url", "created_at"),
    "campaign_views": ("id", "campaign_id", "subscriber_id", "created_at"),
    "link_clicks": ("id", "campaign_id", "link_id", "subscriber_id", "created_at"),
}

# Rows that point at other rows are read with the uuids of what they point at
# (stmails keys by uuid): table -> [(fk column, target table, alias)].
JOINS: dict[str, list[tuple[str, str, str]]] = {
    "subscriber_lists": [
        ("subscriber_id", "subscribers", "subscriber_uuid"),
        ("list_id", "lists", "list_uuid"),
    ],
    "campaign_lists": [
        ("campaign_id", "campaigns", "campaign_uuid"),
        ("list_id", "lists", "list_uuid"),
    ],
    "bounces": [
        ("subscriber_id", "subscribers", "subscriber_uuid"),
        ("campaign_id", "campaigns", "campaign_uuid"),
    ],
    "campaign_views": [
        ("campaign_id", "campaigns", "campaign_uuid"),
        ("subscriber_id", "subscribers", "subscriber_uuid"),
    ],
    "link_clicks": [
        ("campaign_id", "campaigns", "campaign_uuid"),
        ("link_id", "links", "link_uuid"),
        ("subscriber_id", "subscribers", "subscriber_uuid"),
    ],
}

ORDER: dict[str, tuple[str, ...]] = {
    "subscriber_lists": ("subscriber_id", "list_id"),
}


class ReaderError(Exception):
    """The listmonk database cannot be read (connection, not listmonk's schema)."""


def describe(url: str) -> str:
    """The database a URL names, for messages: never its password."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(unparseable database URL)"
    host = info.get("host") or "local socket"
    port = f":{info['port']}" if info.get("port") else ""
    return f"{info.get('dbname') or '?'} on {host}{port}"


def connect(url: str) -> psycopg.Connection:
    """A connection that cannot write, already inside its read-only snapshot."""
    try:
        conn = psycopg.connect(
            url,
            options="-c default_transaction_read_only=on",
            row_factory=dict_row,
            connect_timeout=15,
        )
    except psycopg.Error as e:
        # psycopg's messages name host and user, never the password.
        raise ReaderError(f"cannot connect to {describe(url)}: {e}") from None
    conn.autocommit = True
    conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    conn.autocommit = False
    conn.read_only = True
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    return conn


class ListmonkReader:
    """One read-only pass over a listmonk database."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema()"
        ).fetchall()
        self.columns: dict[str, set[str]] = {}
        for row in rows:
            self.columns.setdefault(row["table_name"], set()).add(row["column_name"])

    def has(self, table: str, column: str | None = None) -> bool:
        cols = self.columns.get(table)
        return cols is not None and (column is None or column in cols)

    def looks_like_listmonk(self) -> list[str]:
        """The core tables missing (empty when this is a listmonk database)."""
        core = ("subscribers", "lists", "subscriber_lists", "campaigns")
        return [t for t in core if not self.has(t)]

    def version_hint(self) -> str:
        if self.has("lists", "status") or self.has("campaigns", "body_source"):
            return "v5 or later"
        if self.has("users"):
            return "v4"
        return "v3 or older"

    def count(self, table: str) -> int:
        if not self.has(table):
            return 0
        query = sql.SQL("SELECT count(*) AS n FROM {}").format(sql.Identifier(table))
        return int(self.conn.execute(query).fetchone()["n"])

    def _select(self, table: str) -> sql.Composed:
        wanted = [c for c in COLUMNS[table] if self.has(table, c)]
        fields = [sql.SQL("t.{}").format(sql.Identifier(c)) for c in wanted]
        joins = []
        for i, (fk, target, alias) in enumerate(JOINS.get(table, [])):
            if not (self.has(table, fk) and self.has(target, "uuid")):
                continue
            j = sql.Identifier(f"j{i}")
            fields.append(sql.SQL("{}.uuid AS {}").format(j, sql.Identifier(alias)))
            if target == "subscribers":  # names the row in the report's skips
                fields.append(sql.SQL("{}.email AS subscriber_email").format(j))
            joins.append(
                sql.SQL("LEFT JOIN {} {} ON {}.id = t.{}").format(
                    sql.Identifier(target), j, j, sql.Identifier(fk)
                )
            )
        order = [c for c in ORDER.get(table, ("id",)) if self.has(table, c)]
        return sql.SQL("SELECT {} FROM {} t {} {}").format(
            sql.SQL(", ").join(fields),
            sql.Identifier(table),
            sql.SQL(" ").join(joins),
            sql.SQL("ORDER BY {}").format(
                sql.SQL(", ").join(
                    sql.SQL("t.{}").format(sql.Identifier(c)) for c in order
                )
            )
            if order
            else sql.SQL(""),
        )

    def batches(self, table: str, size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
        """The table's rows, oldest first, in lists of `size` (a server-side cursor:
        memory stays flat whatever the table's size)."""
        if not self.has(table):
            return
        with self.conn.cursor(name=f"lmimport_{table}") as cur:
            cur.itersize = size
            cur.execute(self._select(table))
            while rows := cur.fetchmany(size):
                yield rows

    def setting(self, key: str) -> Any:
        """One settings row's value, or None."""
        if not self.has("settings", "key"):
            return None
        row = self.conn.execute(
            "SELECT value FROM settings WHERE key = %s", (key,)
        ).fetchone()
        return row["value"] if row else None
