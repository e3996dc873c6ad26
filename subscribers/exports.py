"""Streamed CSV export of subscribers, in flat memory whatever the table size."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from subscribers.queries import filter_subscribers

COLUMNS = ("uuid", "email", "name", "attributes", "status", "created_at", "updated_at")
CHUNK_SIZE = 2000


def export_subscribers(params: dict[str, Any]) -> Iterator[str]:
    """CSV text chunks for the subscribers matching `params` (see filter_subscribers).

    The filters are checked now, so a bad one raises SubscriberError before the
    caller starts a response; rows are then read CHUNK_SIZE at a time with a
    server-side cursor (PostgreSQL) instead of loading the whole table.
    """
    rows = (
        filter_subscribers(params)
        .order_by("id")
        .values_list(
            "uuid", "email", "name", "attribs", "status", "created_at", "updated_at"
        )
    )
    return _csv_chunks(rows.iterator(chunk_size=CHUNK_SIZE))


def _csv_chunks(rows: Iterator[tuple]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for n, (uid, email, name, attribs, status, created, updated) in enumerate(
        rows, start=1
    ):
        writer.writerow(
            [
                uid,
                email,
                name,
                json.dumps(attribs, ensure_ascii=False, separators=(",", ":")),
                status,
                created.isoformat(),
                updated.isoformat(),
            ]
        )
        if n % CHUNK_SIZE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def export_params(query: Any) -> dict[str, Any]:
    """Filter params from a QueryDict: single values, except list_id, id and
    uuid, which may repeat (listmonk's export takes repeated id)."""
    params: dict[str, Any] = {key: query.get(key) for key in query}
    for key in ("list_id", "id", "uuid"):
        params[key] = query.getlist(key)
    return params
