"""A listmonk-shaped PostgreSQL database per schema version, filled by fill().

Needs a PostgreSQL server: the one DATABASE_URL names when it is PostgreSQL,
else postgres@127.0.0.1:5432 (LISTMONK_TEST_ADMIN_URL overrides). Missing, the
tests skip, or fail under CI=true. stmails' own database is the usual test one
(SQLite or PostgreSQL): only the listmonk side needs PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Jsonb

from tests.conftest import require_service
from tests.listmonk_import import listmonk_schema

T0 = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
N_SUBSCRIBERS = 300
INVALID_EMAILS = ("not-an-email", "two@@example.com")
OPTIN_IP = "203.0.113.7"


def uid(kind: str, n: object) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"listmonk-test/{kind}/{n}")


def _admin_url() -> str:
    url = os.environ.get("LISTMONK_TEST_ADMIN_URL") or os.environ.get(
        "DATABASE_URL", ""
    )
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgresql://postgres@127.0.0.1:5432/postgres"
    info = conninfo_to_dict(url)
    info["dbname"] = "postgres"
    return make_conninfo(**info)


def _url_for(dbname: str) -> str:
    info = conninfo_to_dict(_admin_url())
    info["dbname"] = dbname
    return make_conninfo(**info)


def name_of(i: int) -> str:
    return f"Zoë Ñandú 日本 {i}" if i % 7 == 0 else f"Subscriber {i}"


def attribs_of(i: int) -> dict:
    return {"city": "Oslo", "plan": {"tier": i % 3, "tags": ["a", "b"]}, "n": i}


def status_of(i: int) -> str:
    if i == 5:
        return "blocklisted"
    return "disabled" if i % 50 == 1 else "enabled"


def fill(conn, version: str) -> None:
    """A few hundred rows with the edge cases an import meets."""
    v6 = version == "v6"
    cur = conn.cursor()
    rows = [
        (
            uid("sub", i),
            f"sub{i}@example.com",
            name_of(i),
            Jsonb(attribs_of(i)),
            status_of(i),
            T0 + timedelta(hours=i),
            T0 + timedelta(hours=i, minutes=5),
        )
        for i in range(N_SUBSCRIBERS)
    ]
    rows += [
        (uid("bad", e), e, "Bad", Jsonb({}), "enabled", T0, T0) for e in INVALID_EMAILS
    ]
    if not v6:  # v3 has no lower(email) index: a case-duplicate, newer than sub1
        rows.append(
            (uid("dup", 1), "Sub1@Example.com", "Dup", Jsonb({}), "enabled", T0, T0)
        )
    cur.executemany(
        "INSERT INTO subscribers (uuid, email, name, attribs, status, created_at, "
        "updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        rows,
    )
    lists = [
        ("News", "public", "single", "active", ["weekly", "news"], "The news"),
        ("Insiders", "private", "double", "active", [], ""),
        ("Ad hoc", "temporary", "single", "active", None, ""),
        ("Old", "public", "single", "archived", ["old"], "archived list"),
        ("Deleted", "public", "single", "active", [], "deleted below"),
    ]
    for n, (name, kind, optin, status, tags, desc) in enumerate(lists):
        cols = "uuid, name, type, optin, tags, description, created_at, updated_at"
        values = [uid("list", n), name, kind, optin, tags, desc, T0, T0]
        if v6:
            cols += ", status"
            values.append(status)
        marks = ", ".join(["%s"] * len(values))
        cur.execute(f"INSERT INTO lists ({cols}) VALUES ({marks})", values)  # noqa: S608
    # memberships: everyone on News; every third on Insiders (double opt-in)
    cur.execute(
        "INSERT INTO subscriber_lists (subscriber_id, list_id, status, meta, created_at, updated_at) "
        "SELECT s.id, 1, CASE WHEN s.id %% 10 = 0 THEN 'unsubscribed' ELSE 'confirmed' END"
        "::subscription_status, CASE WHEN s.id %% 10 = 0 THEN %s ELSE '{}' END, %s, %s "
        "FROM subscribers s",
        (Jsonb({"optin_ip": OPTIN_IP}), T0, T0),
    )
    cur.execute(
        "INSERT INTO subscriber_lists (subscriber_id, list_id, status, meta) "
        "SELECT id, 2, CASE WHEN id % 2 = 0 THEN 'confirmed' ELSE 'unconfirmed' END"
        "::subscription_status, jsonb_build_object('optin_ip', '198.51.100.' || id) "
        "FROM subscribers WHERE id % 3 = 0"
    )
    cur.execute(
        "INSERT INTO subscriber_lists (subscriber_id, list_id, status) "
        "SELECT id, 5, 'confirmed' FROM subscribers WHERE id <= 20"
    )
    templates = [
        ("Default campaign template", "campaign", True),
        ("Welcome", "tx", False),
    ]
    if v6:
        templates.append(("Visual", "campaign_visual", False))
    for name, kind, default in templates:
        cols = "name, type, subject, body, is_default"
        values = [
            name,
            kind,
            f"{name} subject",
            f'<p>{name}</p>{{{{ template "content" . }}}}',
            default,
        ]
        if v6:
            cols += ", body_source"
            values.append('{"blocks": []}' if kind == "campaign_visual" else None)
        marks = ", ".join(["%s"] * len(values))
        cur.execute(f"INSERT INTO templates ({cols}) VALUES ({marks})", values)  # noqa: S608
    campaigns = [  # name, status, type, content_type, to_send, sent
        ("Finished", "finished", "regular", "richtext", 300, 300),
        ("Running", "running", "regular", "html", 300, 50),
        ("Scheduled", "scheduled", "regular", "markdown", 0, 0),
        ("Draft", "draft", "regular", "plain", 0, 0),
        ("Paused unsent", "paused", "regular", "richtext", 300, 0),
        ("Optin", "running", "optin", "richtext", 100, 0),
        ("Visual", "finished", "regular", "visual" if v6 else "html", 10, 10),
    ]
    for n, (name, status, kind, ctype, to_send, sent) in enumerate(campaigns):
        cols = (
            "uuid, name, subject, from_email, body, altbody, content_type, send_at, "
            "headers, status, tags, type, messenger, template_id, to_send, sent, "
            "started_at, created_at, updated_at"
        )
        values = [
            uid("camp", n),
            name,
            f"{name} ✉",
            "News <news@example.com>",
            f"<p>{name}</p>",
            None,
            ctype,
            T0 + timedelta(days=30) if status == "scheduled" else None,
            Jsonb([{"X-Campaign": name}]),
            status,
            ["t1"],
            kind,
            "email",
            1,
            to_send,
            sent,
            T0 if sent else None,
            T0,
            T0 + timedelta(days=1),
        ]
        if v6:
            cols += ", attribs, body_source"
            values += [Jsonb({"k": n}), None]
        marks = ", ".join(["%s"] * len(values))
        cur.execute(f"INSERT INTO campaigns ({cols}) VALUES ({marks})", values)  # noqa: S608
        cur.execute(
            "INSERT INTO campaign_lists (campaign_id, list_id, list_name) "
            "SELECT c.id, l.id, l.name FROM campaigns c, lists l "
            "WHERE c.uuid = %s AND l.id IN (1, 5)",
            (uid("camp", n),),
        )
    # A deleted list: its memberships go (cascade), campaigns keep its name.
    cur.execute("DELETE FROM lists WHERE name = 'Deleted'")
    cur.execute(
        "INSERT INTO bounces (subscriber_id, campaign_id, type, source, meta, created_at) "
        "SELECT s.id, CASE WHEN s.id %% 2 = 0 THEN 1 END, "
        "(ARRAY['soft', 'hard', 'complaint'])[1 + s.id %% 3]::bounce_type, "
        "CASE WHEN s.id %% 2 = 0 THEN 'api' ELSE 'pop' END, "
        "jsonb_build_object('smtp', jsonb_build_object('code', 550, 'lines', jsonb_build_array('a', 'b'))), "
        "%s::timestamptz + s.id * interval '1 minute' FROM subscribers s WHERE s.id <= 40",
        (T0,),
    )
    cur.execute(
        "INSERT INTO campaign_views (campaign_id, subscriber_id, created_at) "
        "SELECT 1, CASE WHEN id %% 10 = 0 THEN NULL ELSE id END, "
        "%s::timestamptz + id * interval '1 second' FROM subscribers WHERE id <= 100",
        (T0,),
    )
    for n in range(5):
        cur.execute(
            "INSERT INTO links (uuid, url, created_at) VALUES (%s, %s, %s)",
            (uid("link", n), f"https://example.com/{n}", T0),
        )
    cur.execute(
        "INSERT INTO link_clicks (campaign_id, link_id, subscriber_id, created_at) "
        "SELECT 1, 1 + id %% 5, id, %s::timestamptz + id * interval '1 second' "
        "FROM subscribers WHERE id <= 60",
        (T0,),
    )
    cur.execute(
        "INSERT INTO settings (key, value) VALUES ('bounce.actions', %s), ('app.root_url', %s)",
        (
            Jsonb(
                {
                    "soft": {"count": 3, "action": "unsubscribe"},
                    "hard": {"count": 2, "action": "blocklist"},
                    "complaint": {"count": 1, "action": "delete"},
                }
            ),
            Jsonb("https://listmonk.example.com"),
        ),
    )
    conn.commit()


@pytest.fixture(scope="session")
def listmonk_db(request):
    """{version: url} of filled listmonk databases, dropped at the end."""
    import psycopg

    info = conninfo_to_dict(_admin_url())
    require_service(
        "PostgreSQL", info.get("host") or "127.0.0.1", int(info.get("port") or 5432)
    )
    made: dict[str, str] = {}
    admin = psycopg.connect(_admin_url(), autocommit=True)

    def make(version: str) -> str:
        if version not in made:
            dbname = f"lmimport_src_{version}_{os.getpid()}"
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            admin.execute(f'CREATE DATABASE "{dbname}"')
            url = _url_for(dbname)
            made[version] = url  # dropped at the end even if filling fails
            with psycopg.connect(url) as conn:
                schema = listmonk_schema.V6 if version == "v6" else listmonk_schema.V3
                conn.execute(schema)
                fill(conn, version)
        return made[version]

    yield make
    for version in made:
        admin.execute(f'DROP DATABASE IF EXISTS "lmimport_src_{version}_{os.getpid()}"')
    admin.close()
