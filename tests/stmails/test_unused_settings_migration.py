"""stmails 0008: stored SMTP servers get listmonk's name, msg_retry_delay and
from_addresses (listmonk's defaults), so GET /api/settings shows listmonk's shape."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from stmails import config
from stmails.models import Setting

pytestmark = pytest.mark.django_db(transaction=True)


def this_migration(graph) -> tuple[str, str]:
    # Found by name: the number changes when branches merge.
    [key] = [
        k
        for k in graph.nodes
        if k[0] == "stmails" and k[1].endswith("_unused_settings")
    ]
    return key


def migrate_to(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_stored_servers_get_listmonks_new_fields_with_its_defaults():
    graph = MigrationExecutor(connection).loader.graph
    target = this_migration(graph)
    [before] = [p.key for p in graph.node_map[target].parents if p.key[0] == "stmails"]
    migrate_to([before])
    try:
        Setting.objects.create(
            key="smtp",
            value=[
                {"uuid": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "host": "a.example",
                 "port": 25, "enabled": True},
                {"uuid": "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", "host": "b.example",
                 "port": 25, "enabled": False, "name": "kept"},
            ],
        )  # fmt: skip
        migrate_to([target])
    finally:
        migrate_to(MigrationExecutor(connection).loader.graph.leaf_nodes())

    first, second = config.get_value("smtp")
    assert (first["name"], first["msg_retry_delay"], first["from_addresses"]) == (
        "",
        "10ms",
        [],
    )
    assert second["name"] == "kept" and second["host"] == "b.example"
