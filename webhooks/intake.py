"""POST /webhooks/bounce: store the request first, record the bounce in the worker.

The request does the least that lets it answer truthfully (issue 19): the body
is validated (400 naming the field), the subscriber it names is looked up by
index (404 when nobody has that uuid or address, as documented), and the body
is stored as a webhook event (provider GENERIC) in one INSERT: a 200 is a
stored event. The worker turns stored events into bounces in groups through
the one recording path (webhooks.services.process_events ->
bounces.recording.record_bounces), exactly once: the event is claimed FOR
UPDATE SKIP LOCKED and its status changes in the bounce's transaction, and the
bounce is keyed "webhook:<event key>" besides.

An `event_id` (or Idempotency-Key header) is the event's key, so a retried
request adds nothing; without one each request gets a key of its own.
"""

from __future__ import annotations

import hashlib
import json
import uuid as uuidlib
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from bounces.recording import record_bounce
from bounces.services import BounceError, NewBounce, bounce_settings
from stmails.config import REGISTRY
from stmails.durable_queue import GroupedSender
from stmails.lib.dates import json_default
from stmails.lib.raw_sql import db_value
from subscribers.models import Subscriber
from webhooks.bounce_body import EVENT_KEY_PREFIX, parse_bounce_body
from webhooks.models import WebhookEvent

# The inbox's provider name for POST /webhooks/bounce: bounce keys stay
# "webhook:<event id>" as before the inbox (custom providers are "custom:<slug>").
GENERIC = EVENT_KEY_PREFIX.rstrip(":")
AUTO_PREFIX = "auto:"
KEY_MAX = WebhookEvent._meta.get_field("event_key").max_length

# One task per group of stored events, not one broker round trip per request.
# Handing a group to Celery costs about 1 ms of the web process's CPU (the
# message, the broker round trip, the timer thread): under load, at most two a
# second per process, so it costs nothing noticeable per request; the first
# event after a quiet half second still goes at once.
events_sender = GroupedSender(
    "webhooks.tasks.process_webhook_events", "event_ids", interval=0.5
)

_EXISTS_BY_EMAIL = "SELECT 1 FROM subscribers WHERE LOWER(email) = LOWER(%s) LIMIT 1"
_EXISTS_BY_UUID = "SELECT 1 FROM subscribers WHERE uuid = %s LIMIT 1"

# Every column has its value here: one short statement, prepared once per
# connection by psycopg. ON CONFLICT: a retried event id adds nothing.
_COLUMNS = (
    "INSERT INTO webhook_events (provider, event_key, status, type, email,"
    " message_id, campaign_uuid, subscriber_uuid, occurred_at, status_code,"
    " diagnostic, reason, payload, headers, received_at, attempts, error)"
)
_TAIL = " ON CONFLICT (provider, event_key) DO NOTHING RETURNING id"
_INSERT = (
    _COLUMNS
    + " VALUES (%s, %s, %s, %s, %s, '', %s, %s, %s, %s, '', %s, %s, '{}', %s, 0, '')"
    + _TAIL
)
# The settings that let the endpoint store anything, as SQL: the stored value,
# else the key's default, must be true.
SWITCHES = ("bounce.enabled", "bounce.webhooks_enabled")
_ENABLED = " AND ".join(
    f"COALESCE((SELECT value FROM settings WHERE key = '{name}'),"  # noqa: S608 (constants)
    f" '{json.dumps(REGISTRY[name].default)}'::jsonb) = 'true'::jsonb"
    for name in SWITCHES
)
# PostgreSQL: the settings and the subscriber are checked inside the INSERT, so
# storing a request costs one round trip; no row back means switched off,
# unknown subscriber or a retried event id, which store_bounce then tells apart.
_INSERT_IF = (
    _COLUMNS  # noqa: S608 (constants only)
    + " SELECT %s, %s, %s, %s, %s, '', %s, %s, %s::timestamptz, %s, '', %s,"  # noqa: S608
    " %s::jsonb, '{}'::jsonb, %s::timestamptz, 0, ''"
    f" WHERE {_ENABLED} AND EXISTS (SELECT 1 FROM subscribers WHERE $who)" + _TAIL
)
_INSERT_IF_EMAIL = _INSERT_IF.replace("$who", "LOWER(email) = LOWER(%s)")
_INSERT_IF_UUID = _INSERT_IF.replace("$who", "uuid = %s")


def event_key(bounce: NewBounce) -> str:
    """The inbox key: the client's event id (hashed when longer than the
    column), else a key of its own."""
    if not bounce.event_key:
        return AUTO_PREFIX + uuidlib.uuid4().hex
    key = bounce.event_key.removeprefix(EVENT_KEY_PREFIX)
    if len(key) > KEY_MAX:
        return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def subscriber_exists(bounce: NewBounce) -> bool:
    """Does the subscriber the bounce names exist? One indexed query.

    The uuid decides when given (the matcher tries it first); an address
    compares case-insensitively, as the matcher and the unique index do.
    """
    if bounce.subscriber_uuid:
        sql = _EXISTS_BY_UUID
        value = db_value(Subscriber, "uuid", uuidlib.UUID(bounce.subscriber_uuid))
    else:
        sql, value = _EXISTS_BY_EMAIL, bounce.email or ""
    with connection.cursor() as cursor:
        cursor.execute(sql, [value])
        return cursor.fetchone() is not None


def refuse_when_off(config: dict[str, Any]) -> None:
    """BounceError 503 when bounce processing or bounce webhooks are off."""
    if not config["bounce.enabled"]:
        raise BounceError("", "bounce processing is disabled", status=503)
    if not config["bounce.webhooks_enabled"]:
        raise BounceError("", "bounce webhooks are disabled", status=503)


def store_bounce(bounce: NewBounce, payload: Any, body: str | None = None) -> None:
    """Store a validated bounce request as an inbox event and hand it on.

    `body`: the request's JSON text when `payload` was parsed from it as is; it
    is stored instead of serialising `payload` again (jsonb keeps the same
    value). BounceError 503 when the endpoint is switched off. Unknown
    subscriber: the whole recording path runs here instead (it keeps the entry
    on Bounces -> Unmatched) and raises its BounceError (404); should the
    subscriber have appeared meanwhile, that records the bounce at once.
    """
    postgresql = connection.vendor == "postgresql"
    params = [
        GENERIC,
        event_key(bounce),
        WebhookEvent.Status.RECEIVED,
        bounce.type,
        (bounce.email or "")[:320],
        (bounce.campaign_uuid or "")[:36],
        bounce.subscriber_uuid or "",
        # psycopg takes aware datetimes as they are (db_value is for SQLite).
        bounce.created_at
        if postgresql
        else db_value(WebhookEvent, "occurred_at", bounce.created_at),
        bounce.status_code,
        bounce.reason,
        body if body is not None else json.dumps(payload, default=json_default),
        timezone.now()
        if postgresql
        else db_value(WebhookEvent, "received_at", timezone.now()),
    ]
    # Autocommit: the INSERT is its own transaction (one commit, no BEGIN).
    with connection.cursor() as cursor:
        if postgresql:
            if bounce.subscriber_uuid:
                sql = _INSERT_IF_UUID
                who = db_value(Subscriber, "uuid", uuidlib.UUID(bounce.subscriber_uuid))
            else:
                sql, who = _INSERT_IF_EMAIL, bounce.email or ""
            cursor.execute(sql, [*params, who])
            row = cursor.fetchone()
            if row is None:  # the rare answers: read what the INSERT checked
                refuse_when_off(bounce_settings())
            known = row is not None or subscriber_exists(bounce)
        else:
            refuse_when_off(bounce_settings())
            known = subscriber_exists(bounce)
            if known:
                cursor.execute(_INSERT, params)
            row = cursor.fetchone() if known else None
    if not known:
        record_bounce(bounce)
        return
    if row is None:  # the same event id was stored already
        return
    if connection.in_atomic_block:  # sent once the caller commits
        transaction.on_commit(partial(events_sender.add, [row[0]]))
    else:  # autocommit: the row is committed
        events_sender.add([row[0]])


def stored_bounce(event: WebhookEvent) -> NewBounce:
    """The worker's NewBounce for a stored request (its body read again)."""
    bounce = parse_bounce_body(event.payload)
    bounce.event_key = f"{EVENT_KEY_PREFIX}{event.event_key}"
    return bounce
