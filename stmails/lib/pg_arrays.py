"""PostgreSQL array literals ('{1,2,3}') for statements that take a group of
values as one parameter (`%s::bigint[]`).

psycopg dumps a Python list element by element, in Python: for a group of 20
ids that cost more client time than the statement's round trip. One string
in PostgreSQL's array syntax is one parameter, parsed by the server.
"""

from __future__ import annotations

from collections.abc import Iterable


def int_array(values: Iterable[int]) -> str:
    return "{" + ",".join(str(int(v)) for v in values) + "}"


def float_array(values: Iterable[float]) -> str:
    # repr() is the shortest text that reads back as the same double.
    return "{" + ",".join(repr(float(v)) for v in values) + "}"


def text_array(values: Iterable[str]) -> str:
    """Every element double-quoted, with backslash and quote escaped: any text
    (commas, braces, spaces, NULL) reads back as itself."""
    return (
        "{"
        + ",".join(
            '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values
        )
        + "}"
    )
