"""Helpers for the few hot paths that write raw SQL (bounce recording and
matching, webhook processing: the ORM's compile cost showed in bench/)."""

from __future__ import annotations

from typing import Any

from django.db import connection, models


def db_value(model: type[models.Model], field: str, value: Any) -> Any:
    """value as the database stores it in model.field: a uuid is native on
    PostgreSQL and 32 hex characters on SQLite, datetimes differ likewise."""
    return model._meta.get_field(field).get_db_prep_value(value, connection)
