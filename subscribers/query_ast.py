"""The AST of listmonk's `query` (subscribers.query_language builds it,
subscribers.query_filters turns it into a Q): plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass


class QueryError(ValueError):
    """What in the query is not accepted; the message names it."""


@dataclass(frozen=True)
class Column:
    """A subscribers column; for attribs, the key path read as text (->>)."""

    name: str
    path: tuple[str, ...] = ()
    cast: str | None = None  # "int", "decimal", "text" or "bool"


@dataclass(frozen=True)
class Now:
    """NOW() minus `seconds_ago`; the filter builder supplies the time."""

    seconds_ago: int = 0


Value = str | int | float | bool | Now


@dataclass(frozen=True)
class Compare:
    column: Column
    op: str  # one of =, !=, <, >, <=, >=
    value: Value


@dataclass(frozen=True)
class Like:
    column: Column
    pattern: str  # SQL LIKE pattern: % and _ wildcards, \ escapes
    case_insensitive: bool
    negated: bool = False


@dataclass(frozen=True)
class In:
    column: Column
    values: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True)
class IsNull:
    column: Column
    negated: bool = False


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


Node = Compare | Like | In | IsNull | Not | And | Or
