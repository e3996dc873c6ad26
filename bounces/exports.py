"""Bounce rows as API items, and streamed exports (CSV, per_page=all JSON) with flat memory.

On PostgreSQL the CSV is written by the server (COPY ... TO STDOUT) and passed
through in pieces; elsewhere, and for per_page=all JSON, rows are read with
`.iterator(chunk_size=...)` as flat tuples, with `meta` as the database's own JSON
text. Either way a million rows cost neither a million model instances nor a
decode/encode of every meta object, and memory stays flat.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import F, Func, QuerySet, TextField, Value
from django.db.models.functions import Cast
from django.http import StreamingHttpResponse

from stmails.lib.dates import rfc3339

CHUNK_SIZE = 2000
# Rows written per yielded piece: small pieces would cost a socket write each.
ROWS_PER_PIECE = 500
PIECE_BYTES = 64 * 1024
CSV_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
PG_CSV_TIME_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'  # the same, in to_char's words

# The columns of an item, in values() spelling.
ITEM_FIELDS = (
    "id",
    "type",
    "source",
    "meta",
    "created_at",
    "subscriber_id",
    "subscriber__uuid",
    "subscriber__email",
    "subscriber__status",
    "campaign_id",
    "campaign__uuid",
    "campaign__name",
    "status_code",
    "provider_message_id",
    "reason",
)
CSV_HEADER = (
    "id",
    "created_at",
    "type",
    "reason",
    "source",
    "email",
    "subscriber_id",
    "subscriber_uuid",
    "subscriber_status",
    "campaign_id",
    "campaign_uuid",
    "campaign_name",
    "status_code",
    "provider_message_id",
    "meta",
)


def bounce_item(row: dict[str, Any]) -> dict[str, Any]:
    """listmonk's bounce item (+ status_code, provider_message_id, reason) from a values() row."""
    campaign = None
    if row["campaign_id"] is not None:
        campaign = {
            "id": row["campaign_id"],
            "uuid": str(row["campaign__uuid"]),
            "name": row["campaign__name"],
        }
    meta = row["meta"]
    if isinstance(meta, str):  # the raw text exports select
        meta = json.loads(meta)
    return {
        "id": row["id"],
        "type": row["type"],
        "source": row["source"],
        "meta": meta if meta is not None else {},
        "created_at": rfc3339(row["created_at"]),
        "email": row["subscriber__email"],
        "subscriber_uuid": str(row["subscriber__uuid"]),
        "subscriber_id": row["subscriber_id"],
        "subscriber_status": row["subscriber__status"],
        "campaign": campaign,
        "status_code": row["status_code"],
        "provider_message_id": row["provider_message_id"],
        "reason": row["reason"],
    }


def bounce_items(qs: QuerySet) -> list[dict[str, Any]]:
    return [bounce_item(row) for row in qs.values(*ITEM_FIELDS)]


def _flat_rows(qs: QuerySet) -> Iterator[tuple]:
    fields = [f for f in ITEM_FIELDS if f != "meta"]
    return (
        qs.annotate(meta_text=Cast("meta", output_field=TextField()))
        .values_list(*fields, "meta_text")
        .iterator(chunk_size=CHUNK_SIZE)
    )


def _pieces(lines: Iterable[str]) -> Iterator[str]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= ROWS_PER_PIECE:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def csv_time(value: datetime) -> str:
    """UTC, always with microseconds, exactly as PostgreSQL's COPY path writes it."""
    return value.astimezone(UTC).strftime(CSV_TIME_FORMAT)


def csv_lines(qs: QuerySet) -> Iterator[str]:
    """The header, then one CSV line per bounce, in the queryset's order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: Iterable[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(CSV_HEADER)
    for (
        bid, btype, source, created_at, sub_id, sub_uuid, email, sub_status,
        camp_id, camp_uuid, camp_name, status_code, message_id, reason, meta,
    ) in _flat_rows(qs):  # fmt: skip
        yield line(
            (
                bid, csv_time(created_at), btype, reason, source, email, sub_id, sub_uuid,
                sub_status,
                "" if camp_id is None else camp_id, camp_uuid or "", camp_name or "",
                status_code, message_id, meta or "{}",
            )
        )  # fmt: skip


def _header() -> str:
    out = io.StringIO()
    csv.writer(out).writerow(CSV_HEADER)
    return out.getvalue()


def copy_pieces(qs: QuerySet) -> Iterator[bytes]:
    """PostgreSQL: the same columns and order as csv_lines, written by COPY."""
    rows = qs.annotate(
        created_text=Func(
            F("created_at"),
            Value(PG_CSV_TIME_FORMAT),
            function="to_char",
            output_field=TextField(),
        ),
        meta_text=Cast("meta", output_field=TextField()),
    ).values_list(
        "id", "created_text", "type", "reason", "source", "subscriber__email", "subscriber_id",
        "subscriber__uuid", "subscriber__status", "campaign_id", "campaign__uuid",
        "campaign__name", "status_code", "provider_message_id", "meta_text",
    )  # fmt: skip
    sql, params = rows.query.sql_with_params()
    yield _header().encode()
    batch: list[bytes] = []
    size = 0
    try:
        with connection.cursor() as cursor:
            # Django connections set the session time zone to UTC, which to_char uses.
            with cursor.cursor.copy(
                f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params
            ) as copy:
                for data in copy:  # one row per block: gather them into pieces
                    batch.append(bytes(data))
                    size += len(data)
                    if size >= PIECE_BYTES:
                        yield b"".join(batch)
                        batch, size = [], 0
    except GeneratorExit:
        # The client went away mid-COPY: do not hand the connection on half-read.
        connection.close()
        raise
    if batch:
        yield b"".join(batch)


def csv_response(qs: QuerySet, filename: str = "bounces.csv") -> StreamingHttpResponse:
    if connection.vendor == "postgresql":
        pieces: Iterator = copy_pieces(qs)
    else:
        pieces = _pieces(csv_lines(qs))
    response = StreamingHttpResponse(pieces, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def json_all_pieces(qs: QuerySet) -> Iterator[str]:
    """listmonk's page envelope with every result (per_page=all); total comes last, once counted."""
    yield '{"data": {"results": ['
    total = 0

    def items() -> Iterator[str]:
        nonlocal total
        for (
            bid, btype, source, created_at, sub_id, sub_uuid, email, sub_status,
            camp_id, camp_uuid, camp_name, status_code, message_id, reason, meta,
        ) in _flat_rows(qs):  # fmt: skip
            campaign = None
            if camp_id is not None:
                campaign = {"id": camp_id, "uuid": str(camp_uuid), "name": camp_name}
            head = json.dumps(
                {
                    "id": bid,
                    "type": btype,
                    "source": source,
                    "created_at": rfc3339(created_at),
                    "email": email,
                    "subscriber_uuid": str(sub_uuid),
                    "subscriber_id": sub_id,
                    "subscriber_status": sub_status,
                    "campaign": campaign,
                    "status_code": status_code,
                    "provider_message_id": message_id,
                    "reason": reason,
                }
            )
            # The stored meta is already JSON text: splice it in as is.
            yield (
                ("," if total else "") + head[:-1] + ', "meta": ' + (meta or "{}") + "}"
            )
            total += 1

    yield from _pieces(items())
    tail = {"search": "", "query": "", "total": total, "per_page": total, "page": 1}
    yield "], " + json.dumps(tail)[1:] + "}"


def json_all_response(qs: QuerySet) -> StreamingHttpResponse:
    return StreamingHttpResponse(json_all_pieces(qs), content_type="application/json")
