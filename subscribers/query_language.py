"""listmonk's `query` (an SQL expression over the subscribers table), parsed.

Pure: text in, an AST out, no ORM. A tokenizer and a recursive-descent parser
accept the forms people write against listmonk (its docs, its clients, its
admin UI) and nothing else; subscribers/query_filters.py turns the AST into a
Django Q. Nothing from the text ever reaches the database as SQL.

Grammar (keywords and column names case-insensitive, `subscribers.` optional):

    expr       := and_expr (OR and_expr)*
    and_expr   := not_expr (AND not_expr)*
    not_expr   := NOT not_expr | '(' expr ')' | predicate
    predicate  := operand ( cmp value | [NOT] (LIKE|ILIKE) string
                          | [NOT] IN '(' value (',' value)* ')' | IS [NOT] NULL )
    operand    := column | '(' column ')' '::' type | column '::' type
    column     := id | uuid | email | name | status | created_at | updated_at
                | attribs ('->' key)* '->>' key
    value      := 'string' | number | TRUE | FALSE | NOW() [- INTERVAL 'n unit']

Bounded: MAX_LENGTH characters, MAX_DEPTH nested groups, MAX_PREDICATES
comparisons, MAX_IN_VALUES per IN list; the tokenizer and the parser are one
left-to-right pass each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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

MAX_LENGTH = 4096
MAX_DEPTH = 32
MAX_PREDICATES = 100
MAX_IN_VALUES = 1000
MAX_ATTRIB_PATH = 8

SUPPORTED = (
    "subscribers.id, uuid, email, name, status, created_at, updated_at, "
    "attribs->>'key' (also attribs->'a'->>'b' and (attribs->>'key')::INT); "
    "=, !=, <>, <, >, <=, >=, LIKE, ILIKE, IN (...), IS [NOT] NULL, "
    "NOT, AND, OR, parentheses; values: 'text', numbers, TRUE, FALSE, "
    "NOW() - INTERVAL 'n days'"
)
COLUMNS = ("id", "uuid", "email", "name", "status", "created_at", "updated_at")
NUMERIC_CASTS = {
    "int": "int",
    "integer": "int",
    "bigint": "int",
    "smallint": "int",
    "int4": "int",
    "int8": "int",
    "numeric": "decimal",
    "decimal": "decimal",
    "float": "decimal",
    "float8": "decimal",
    "real": "decimal",
}
CASTS = {
    **NUMERIC_CASTS,
    "text": "text",
    "varchar": "text",
    "bool": "bool",
    "boolean": "bool",
}
INTERVAL_UNITS = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
}
COMPARISONS = {"=", "!=", "<>", "<", ">", "<=", ">="}
KEYWORDS = {
    "and",
    "or",
    "not",
    "like",
    "ilike",
    "in",
    "is",
    "null",
    "true",
    "false",
    "now",
    "interval",
}


def unsupported(fragment: str) -> QueryError:
    return QueryError(f"`{fragment}` is not supported (supported: {SUPPORTED})")


# --- tokens ------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # word, string, number, op, end
    text: str
    value: str


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>->>|->|::|<=|>=|<>|!=|=|<|>|\(|\)|,|\.|-)
    """,
    re.VERBOSE,
)


def tokenize(text: str) -> list[Token]:
    tokens = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            if text[pos] == "'":
                raise QueryError("a quoted string is not closed")
            raise unsupported(text[pos : pos + 20].split()[0][:20] or text[pos])
        kind = match.lastgroup or ""
        raw = match.group()
        pos = match.end()
        if kind == "space":
            continue
        if kind == "string":
            tokens.append(Token(kind, raw, raw[1:-1].replace("''", "'")))
        elif kind == "word":
            tokens.append(Token(kind, raw, raw.lower()))
        else:
            tokens.append(Token(kind, raw, raw))
    tokens.append(Token("end", "", ""))
    return tokens


# --- the parser --------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.predicates = 0

    # token helpers
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        self.pos += 1
        return token

    def at(self, *values: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind in ("word", "op") and token.value in values

    def expect(self, value: str, what: str) -> Token:
        if not self.at(value):
            raise self.error(f"expected {what}")
        return self.take()

    def error(self, message: str) -> QueryError:
        token = self.peek()
        if token.kind == "end":
            return QueryError(f"{message} at the end of the query")
        return QueryError(f"{message} at `{token.text[:40]}`")

    # grammar
    def parse(self) -> Node:
        node = self.expr()
        if self.peek().kind != "end":
            token = self.peek()
            if token.text == ";":
                raise unsupported(";")
            raise unsupported(token.text[:40])
        return node

    def nested(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(f"nested more than {MAX_DEPTH} levels deep")

    def expr(self) -> Node:
        operands = [self.and_expr()]
        while self.at("or"):
            self.take()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Node:
        operands = [self.not_expr()]
        while self.at("and"):
            self.take()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_expr(self) -> Node:
        if self.at("not"):
            self.take()
            self.nested()
            node = Not(self.not_expr())
            self.depth -= 1
            return node
        if self.at("(") and not self._cast_group():
            self.take()
            self.nested()
            node = self.expr()
            self.expect(")", "`)`")
            self.depth -= 1
            return node
        return self.predicate()

    def _cast_group(self) -> bool:
        """Whether `(` opens `(column)::type` rather than a group: a group never
        has a column right before its closing parenthesis followed by `::`."""
        if not self.at("(") or self.peek(1).kind != "word":
            return False
        for ahead in range(2, 4 + 2 * MAX_ATTRIB_PATH):
            token = self.peek(ahead)
            if token.kind == "end" or self.at("(", ahead=ahead):
                return False
            if self.at(")", ahead=ahead):
                return self.at("::", ahead=ahead + 1)
        return False

    def predicate(self) -> Node:
        self.predicates += 1
        if self.predicates > MAX_PREDICATES:
            raise QueryError(f"more than {MAX_PREDICATES} comparisons")
        column = self.operand()
        negated = False
        if self.at("not"):
            self.take()
            negated = True
            if not self.at("like", "ilike", "in"):
                raise self.error("expected LIKE, ILIKE or IN after NOT")
        if self.at("like", "ilike"):
            insensitive = self.take().value == "ilike"
            token = self.take()
            if token.kind != "string":
                raise QueryError("LIKE and ILIKE take a quoted pattern")
            return Like(column, token.value, insensitive, negated)
        if self.at("in"):
            self.take()
            return In(column, self.value_list(), negated)
        if self.at("is"):
            self.take()
            is_not = self.at("not")
            if is_not:
                self.take()
            self.expect("null", "NULL after IS")
            return IsNull(column, is_not)
        if self.peek().kind == "op" and self.peek().value in COMPARISONS:
            op = self.take().value
            return Compare(column, "!=" if op == "<>" else op, self.value())
        raise self.error("expected a comparison (=, !=, <, >, LIKE, IN, IS NULL)")

    def operand(self) -> Column:
        if self.at("("):
            self.take()
            column = self.column()
            self.expect(")", "`)`")
            self.expect("::", "`::type` after a parenthesised column")
            return self.cast(column)
        column = self.column()
        if self.at("::"):
            self.take()
            return self.cast(column)
        return column

    def cast(self, column: Column) -> Column:
        token = self.take()
        if token.kind != "word" or token.value not in CASTS:
            raise unsupported(f"::{token.text}")
        if column.name != "attribs":
            # Casting a plain column to its own type is a no-op people write.
            return column
        return Column(column.name, column.path, CASTS[token.value])

    def column(self) -> Column:
        token = self.take()
        if token.kind == "end":
            raise QueryError("a condition is missing at the end of the query")
        if token.kind != "word" or token.value in KEYWORDS:
            raise unsupported(token.text[:40])
        name = token.value
        if self.at("."):
            if name != "subscribers":
                raise unsupported(f"{token.text}.{self.peek(1).text}")
            self.take()
            token = self.take()
            if token.kind != "word":
                raise unsupported(f"subscribers.{token.text}")
            name = token.value
        if name in COLUMNS:
            return Column(name)
        if name != "attribs":
            raise unsupported(f"subscribers.{token.text}")
        return self.attrib_path()

    def attrib_path(self) -> Column:
        path: list[str] = []
        while self.at("->"):
            self.take()
            path.append(self.key())
        if not self.at("->>"):
            raise QueryError(
                "attribs must be read as text with ->> (subscribers.attribs->>'key')"
            )
        self.take()
        path.append(self.key())
        if len(path) > MAX_ATTRIB_PATH:
            raise QueryError(f"an attribs path is limited to {MAX_ATTRIB_PATH} keys")
        return Column("attribs", tuple(path))

    def key(self) -> str:
        token = self.take()
        if token.kind == "string" and token.value:
            return token.value
        raise QueryError("an attribs key is a non-empty quoted string")

    def value_list(self) -> tuple[Value, ...]:
        self.expect("(", "`(` after IN")
        values = [self.value()]
        while self.at(","):
            self.take()
            values.append(self.value())
            if len(values) > MAX_IN_VALUES:
                raise QueryError(f"IN takes at most {MAX_IN_VALUES} values")
        self.expect(")", "`)` closing the IN list")
        return tuple(values)

    def value(self) -> Value:
        negative = self.at("-")
        if negative:
            self.take()
        token = self.take()
        if token.kind == "number":
            number = float(token.value) if "." in token.value else int(token.value)
            return -number if negative else number
        if negative:
            raise unsupported(f"-{token.text}")
        if token.kind == "string":
            return token.value
        if token.kind == "word" and token.value in ("true", "false"):
            return token.value == "true"
        if token.kind == "word" and token.value == "now":
            return self.now()
        if token.kind == "end":
            raise QueryError("a value is missing at the end of the query")
        if token.text == "(":
            # A subquery or an expression where a value belongs.
            raise unsupported(f"({self.peek().text[:40]}")
        raise unsupported(token.text[:40])

    def now(self) -> Now:
        self.expect("(", "`(` after NOW")
        self.expect(")", "`)` after NOW(")
        if not self.at("-"):
            return Now()
        self.take()
        self.expect("interval", "INTERVAL after NOW() -")
        token = self.take()
        match = re.fullmatch(r"\s*(\d{1,6})\s*([a-z]+?)s?\s*", token.value.lower())
        if token.kind != "string" or not match or match[2] not in INTERVAL_UNITS:
            raise QueryError(
                "INTERVAL takes 'n seconds|minutes|hours|days|weeks', "
                f"not {token.text[:40]}"
            )
        return Now(int(match[1]) * INTERVAL_UNITS[match[2]])


def parse_query(text: str) -> Node | None:
    """The AST of a listmonk query, None for an empty one, or QueryError."""
    text = text.strip().removesuffix(";").strip()
    if not text:
        return None
    if len(text) > MAX_LENGTH:
        raise QueryError(f"longer than {MAX_LENGTH} characters")
    return _Parser(tokenize(text)).parse()
