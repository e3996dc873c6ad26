"""Go template source -> text pieces and actions of tokens (text/template's lexer).

Trim markers (`{{- ` and ` -}}`) eat the whitespace beside an action, as Go's
do; `{{/* ... */}}` comments vanish. Every action keeps its line and its
source text so errors can say where they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from campaigns.gotemplate.errors import GoTemplateError

LEFT, RIGHT = "{{", "}}"
SPACE = " \t\r\n"


@dataclass(frozen=True)
class Token:
    kind: str  # field var ident string rawstring char number ( ) | := = , . eof
    value: str
    pos: int  # offset in the source, for the line


@dataclass
class Piece:
    """Either plain text (tokens is None) or one action."""

    text: str
    line: int
    tokens: list[Token] | None = None
    source: str = ""  # the action as written, "{{ .X }}"


_NUMBER = re.compile(
    r"[+-]?(0[xX][0-9a-fA-F_]+|0[oObB][0-7_]+|"
    r"(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][+-]?\d+)?i?)"
)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FIELD_CHAIN = re.compile(r"(\.[A-Za-z_][A-Za-z0-9_]*)+")


def _line(source: str, pos: int) -> int:
    return source.count("\n", 0, pos) + 1


def lex(source: str) -> list[Piece]:
    """Split `source` into pieces; raises GoTemplateError on a bad action."""
    pieces: list[Piece] = []
    pos = 0
    trim_next = False
    n = len(source)
    while pos < n:
        start = source.find(LEFT, pos)
        if start < 0:
            text = source[pos:]
            if trim_next:
                text = text.lstrip(SPACE)
            pieces.append(Piece(text, _line(source, pos)))
            break
        text = source[pos:start]
        if trim_next:
            text = text.lstrip(SPACE)
        inner = start + 2
        # "{{- " trims: the dash must be followed by a space ("{{-3}}" is -3).
        if source.startswith("- ", inner) or (
            source.startswith("-", inner)
            and source[inner + 1 : inner + 2] in SPACE
            and inner + 1 < n
        ):
            text = text.rstrip(SPACE)
            inner += 2
        if text:
            pieces.append(Piece(text, _line(source, pos)))
        line = _line(source, start)
        tokens, end, trim_next = _lex_action(source, inner, start, line)
        if tokens is not None:
            pieces.append(Piece("", line, tokens, source[start:end]))
        pos = end
    return pieces


def _lex_action(
    source: str, pos: int, start: int, line: int
) -> tuple[list[Token] | None, int, bool]:
    """Tokens of one action from `pos` (after "{{" and any trim marker), the
    offset after its "}}", and whether it trims the text after it."""
    n = len(source)
    head = source[start : min(n, start + 40)].split("\n")[0]
    while pos < n and source[pos] in SPACE:
        pos += 1
    if source.startswith("/*", pos):
        close = source.find("*/", pos + 2)
        if close < 0:
            raise GoTemplateError("unclosed comment", line=line, expression=head)
        after = close + 2
        if source.startswith(RIGHT, after):
            return None, after + 2, False
        if source.startswith(" -" + RIGHT, after) or source.startswith(
            "\t-" + RIGHT, after
        ):
            return None, after + 4, True
        raise GoTemplateError("comment ends before closing delimiter", line=line,
                              expression=head)  # fmt: skip
    tokens: list[Token] = []
    while True:
        while pos < n and source[pos] in SPACE:
            pos += 1
        if pos >= n:
            raise GoTemplateError("unclosed action", line=line, expression=head)
        if source.startswith(RIGHT, pos):
            return tokens, pos + 2, False
        if source.startswith("-" + RIGHT, pos) and source[pos - 1] in SPACE:
            return tokens, pos + 3, True
        tok, pos = _next_token(source, pos, line, head)
        tokens.append(tok)


def _next_token(source: str, pos: int, line: int, head: str) -> tuple[Token, int]:
    c = source[pos]
    if c in "()|,":
        return Token(c, c, pos), pos + 1
    if source.startswith(":=", pos):
        return Token(":=", ":=", pos), pos + 2
    if c == "=":
        return Token("=", "=", pos), pos + 1
    if c == '"':
        end = pos + 1
        while end < len(source) and source[end] != '"':
            if source[end] == "\\":
                end += 1
            if end < len(source) and source[end] == "\n":
                raise GoTemplateError("unterminated quoted string", line=line,
                                      expression=head)  # fmt: skip
            end += 1
        if end >= len(source):
            raise GoTemplateError("unterminated quoted string", line=line,
                                  expression=head)  # fmt: skip
        return Token("string", source[pos : end + 1], pos), end + 1
    if c == "`":
        end = source.find("`", pos + 1)
        if end < 0:
            raise GoTemplateError("unterminated raw quoted string", line=line,
                                  expression=head)  # fmt: skip
        return Token("rawstring", source[pos + 1 : end], pos), end + 1
    if c == "'":
        m = re.compile(r"'(\\.[^']*|[^\\'])'").match(source, pos)
        if not m:
            raise GoTemplateError("unterminated character constant", line=line,
                                  expression=head)  # fmt: skip
        return Token("char", m.group(0), pos), m.end()
    if c == "$":
        m = re.compile(r"\$[A-Za-z0-9_]*").match(source, pos)
        assert m is not None  # noqa: S101 (the pattern always matches "$")
        return Token("var", m.group(0), pos), m.end()
    if c == ".":
        m = _FIELD_CHAIN.match(source, pos)
        if m:
            return Token("field", m.group(0), pos), m.end()
        if not source[pos + 1 : pos + 2].isdigit():
            return Token(".", ".", pos), pos + 1
    if c.isdigit() or c in "+-.":
        m = _NUMBER.match(source, pos)
        if m and m.group(0) not in "+-":
            end = m.end()
            if end < len(source) and (source[end].isalnum() or source[end] == "_"):
                raise GoTemplateError(f"bad number syntax: {source[pos:end + 1]!r}",
                                      line=line, expression=head)  # fmt: skip
            return Token("number", m.group(0), pos), end
    m = _IDENT.match(source, pos)
    if m:
        return Token("ident", m.group(0), pos), m.end()
    raise GoTemplateError(f"unexpected {c!r} in command", line=line, expression=head)
