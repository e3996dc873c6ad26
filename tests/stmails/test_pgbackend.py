"""The PostgreSQL health check without a round trip (stmails.pgbackend)."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection

from tests.conftest import require_service


@pytest.fixture
def postgresql(db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    require_service("PostgreSQL", "127.0.0.1", 5432)


@pytest.mark.django_db(transaction=True)
def test_a_healthy_idle_connection_is_usable_without_a_query(postgresql):
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    sent: list[str] = []
    with connection.execute_wrapper(
        lambda run, sql, *a: sent.append(sql) or run(sql, *a)
    ):
        assert connection.is_usable()
    assert sent == []


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_ended_is_not_usable(postgresql):
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("server_side_binding", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.2)  # the FATAL message and the close reach our socket
    assert not connection.is_usable()
    connection.close()
