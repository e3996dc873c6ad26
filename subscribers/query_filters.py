"""A parsed listmonk query (subscribers.query_language) as a Django Q.

Every value travels as a bound parameter; the only SQL written here is the
constant LIKE/GLOB fragment below, because Django's own `contains` lookups
escape the wildcards a listmonk LIKE pattern needs.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Case, F, FloatField, Q, When
from django.db.models.expressions import Expression
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Lower
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
    Lookup,
    Regex,
)
from django.db.models.lookups import (
    In as InLookup,
)
from django.db.models.lookups import (
    IsNull as IsNullLookup,
)

from subscribers.query_ast import (
    And,
    Column,
    Compare,
    In,
    IsNull,
    Like,
    Node,
    Not,
    Now,
    Or,
    QueryError,
    Value,
)

STATUSES = ("enabled", "disabled", "blocklisted")
MAX_ID = 2**63 - 1  # bigint, on both databases
MAX_NUMBER = 1e300  # attribute numbers compare as double precision
TEXT_COLUMNS = {"email", "name"}
DATE_COLUMNS = {"created_at", "updated_at"}
LOOKUPS = {
    "=": Exact,
    "<": LessThan,
    ">": GreaterThan,
    "<=": LessThanOrEqual,
    ">=": GreaterThanOrEqual,
}
# Attribute text that casts to a number without an error (PostgreSQL refuses
# '12abc'::INT, and one such value would fail the whole query): anything else
# compares as NULL, i.e. matches nothing. 200 digits stay below float overflow
# (and PostgreSQL's regular expressions allow repeat counts up to 255).
INTEGER_TEXT = r"^\s*[-+]?[0-9]{1,200}\s*$"
BOOL_TEXT = {
    True: ["t", "true", "y", "yes", "on", "1"],
    False: ["f", "false", "n", "no", "off", "0"],
}
DECIMAL_TEXT = r"^\s*[-+]?([0-9]{1,200}(\.[0-9]{0,200})?|\.[0-9]{1,200})\s*$"


class SqlLike(Lookup):
    """`lhs LIKE pattern` with listmonk's (PostgreSQL's) wildcards and `\\`
    escapes. SQLite's LIKE ignores case, so a case-sensitive LIKE there is a
    GLOB with the pattern translated; its ILIKE folds ASCII case only."""

    lookup_name = "sql_like"
    prepare_rhs = False
    insensitive = False

    def __init__(self, lhs: Any, pattern: str):
        # Django wraps a lookup's right-hand side in Value(); keep the text.
        self.pattern = pattern
        super().__init__(lhs, pattern)

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            operator = "ILIKE" if self.insensitive else "LIKE"
            sql = f"({lhs})::text {operator} %s ESCAPE '\\'"
            return sql, [*lhs_params, self.pattern]
        if self.insensitive:
            sql = f"lower({lhs}) LIKE %s ESCAPE '\\'"
            return sql, [*lhs_params, self.pattern.lower()]
        return f"({lhs}) GLOB %s", [*lhs_params, like_to_glob(self.pattern)]


class SqlILike(SqlLike):
    lookup_name = "sql_ilike"
    insensitive = True


def like_to_glob(pattern: str) -> str:
    out = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            char = next(chars, "\\")
            out.append(f"[{char}]" if char in "*?[" else char)
        elif char == "%":
            out.append("*")
        elif char == "_":
            out.append("?")
        else:
            out.append(f"[{char}]" if char in "*?[" else char)
    return "".join(out)


def query_to_q(node: Node, *, now: datetime) -> Q:
    """The filter for `node`; `now` anchors NOW() so results never depend on
    when a test runs. Raises QueryError for a value of the wrong type."""
    if isinstance(node, And):
        q = Q()
        for operand in node.operands:
            q &= query_to_q(operand, now=now)
        return q
    if isinstance(node, Or):
        q = query_to_q(node.operands[0], now=now)
        for operand in node.operands[1:]:
            q |= query_to_q(operand, now=now)
        return q
    if isinstance(node, Not):
        return ~query_to_q(node.operand, now=now)
    if isinstance(node, IsNull):
        q = Q(IsNullLookup(_text_expression(node.column), True))
        return ~q if node.negated else q
    if isinstance(node, Like):
        q = _like(node)
        return ~q if node.negated else q
    if isinstance(node, In):
        q = _in(node, now)
        return ~q if node.negated else q
    if isinstance(node, Compare):
        return _compare(node, now)
    raise QueryError("unknown condition")  # the parser makes no other node


def _describe(column: Column) -> str:
    if column.name != "attribs":
        return f"subscribers.{column.name}"
    keys = "".join(f"->'{key}'" for key in column.path[:-1])
    return f"subscribers.attribs{keys}->>'{column.path[-1]}'"


def _attrib_text(column: Column) -> Expression:
    target: Any = "attribs"
    for key in column.path[:-1]:
        target = KeyTransform(key, target)
    return KeyTextTransform(column.path[-1], target)


def _text_expression(column: Column) -> Expression:
    return _attrib_text(column) if column.name == "attribs" else F(column.name)


def _attrib_number(column: Column) -> Expression:
    text = _attrib_text(column)
    pattern = INTEGER_TEXT if column.cast == "int" else DECIMAL_TEXT
    return Case(
        When(Regex(text, pattern), then=Cast(text, FloatField())),
        default=None,
        output_field=FloatField(),
    )


def _like(node: Like) -> Q:
    column = node.column
    if column.name not in TEXT_COLUMNS and column.name != "attribs":
        raise QueryError(f"LIKE works on text: not on {_describe(column)}")
    lookup = SqlILike if node.case_insensitive else SqlLike
    return Q(lookup(_text_expression(column), node.pattern))


def _number(value: Value, column: Column) -> float:
    if isinstance(value, bool) or isinstance(value, Now):
        raise QueryError(f"{_describe(column)} compares with a number")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    except (TypeError, ValueError):
        raise QueryError(
            f"{_describe(column)} compares with a number, not '{value}'"
        ) from None
    if not math.isfinite(number) or abs(number) > MAX_NUMBER:
        raise QueryError(f"{_describe(column)}: {str(value)[:40]} is out of range")
    return number


def _check_value(column: Column, value: Value, now: datetime) -> Any:
    """The Python value to compare `column` with, or QueryError."""
    name = column.name
    where = _describe(column)
    if name == "id":
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise QueryError(f"{where} compares with a whole number")
        if not -MAX_ID - 1 <= value <= MAX_ID:
            raise QueryError(f"{where}: {value} is out of range")
        return value
    if name == "uuid":
        try:
            return uuid.UUID(str(value)) if isinstance(value, str) else None
        except ValueError:
            raise QueryError(f"{where}: '{value}' is not a UUID") from None
    if name == "status":
        if value not in STATUSES:
            raise QueryError(f"{where} is one of {', '.join(STATUSES)}")
        return value
    if name in DATE_COLUMNS:
        return _moment(value, where, now)
    if not isinstance(value, str):
        raise QueryError(f"{where} compares with a quoted string")
    return value


def _moment(value: Value, where: str, now: datetime) -> datetime:
    if isinstance(value, Now):
        try:
            return now - timedelta(seconds=value.seconds_ago)
        except OverflowError:
            raise QueryError(f"{where}: the INTERVAL reaches before year 1") from None
    if not isinstance(value, str):
        raise QueryError(f"{where} compares with a date such as '2024-01-31'")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise QueryError(f"{where}: '{value[:40]}' is not a date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _compare(node: Compare, now: datetime) -> Q:
    column, op, value = node.column, node.op, node.value
    negate = op == "!="
    lookup = LOOKUPS["=" if negate else op]
    if column.name == "attribs":
        q = _compare_attrib(column, op, lookup, value)
    else:
        if column.name in ("uuid", "status") and op not in ("=", "!="):
            raise QueryError(f"{_describe(column)} takes =, != or IN")
        checked = _check_value(column, value, now)
        if checked is None:
            raise QueryError(f"{_describe(column)} compares with a quoted UUID")
        if column.name == "email":
            # listmonk's unique index is on LOWER(email): the same address.
            q = Q(lookup(Lower("email"), checked.lower()))
        else:
            q = Q(lookup(F(column.name), checked))
    return ~q if negate else q


def _compare_attrib(column: Column, op: str, lookup: type, value: Value) -> Q:
    where = _describe(column)
    if column.cast == "bool":
        if not isinstance(value, bool) or op not in ("=", "!="):
            raise QueryError(f"({where})::BOOLEAN compares = TRUE or = FALSE")
        # PostgreSQL's text-to-boolean spellings; SQLite reads JSON true as 1.
        spellings = BOOL_TEXT[value]
        return Q(InLookup(Lower(_attrib_text(column)), spellings))
    numeric = column.cast in ("int", "decimal") or (
        column.cast is None and isinstance(value, int | float)
    )
    if numeric:
        return Q(lookup(_attrib_number(column), _number(value, column)))
    if isinstance(value, bool):
        raise QueryError(f"{where} is text: compare with 'true' or cast ::BOOLEAN")
    if not isinstance(value, str):
        raise QueryError(f"{where} compares with a quoted string")
    return Q(lookup(_attrib_text(column), value))


def _in(node: In, now: datetime) -> Q:
    column = node.column
    if column.name == "attribs":
        if all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in node.values
        ):
            numbers = [_number(v, column) for v in node.values]
            return Q(InLookup(_attrib_number(column), numbers))
        if not all(isinstance(v, str) for v in node.values):
            raise QueryError(f"IN on {_describe(column)} takes quoted strings")
        return Q(InLookup(_attrib_text(column), list(node.values)))
    values = [_check_value(column, v, now) for v in node.values]
    if column.name == "uuid" and None in values:
        raise QueryError(f"{_describe(column)} compares with a quoted UUID")
    if column.name == "email":
        return Q(InLookup(Lower("email"), [v.lower() for v in values]))
    return Q(InLookup(F(column.name), values))
