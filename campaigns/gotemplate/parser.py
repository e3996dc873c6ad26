"""Pieces from the lexer -> a tree of nodes (text/template/parse, in small).

parse() returns the main tree and the templates `define`d or `block`ed in it.
Unknown functions, undefined variables, an `end` or `else` without a block,
and a block without an `end` are errors here, before anything is rendered.
"""

from __future__ import annotations

import ast as pyast
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

from campaigns.gotemplate.errors import GoTemplateError
from campaigns.gotemplate.lexer import Piece, Token, lex

KEYWORDS = {"block", "break", "continue", "define", "else", "end", "if", "range",
            "template", "with"}  # fmt: skip


# --- nodes --------------------------------------------------------------------------


@dataclass(eq=False)
class Node:
    line: int = 0
    source: str = ""


@dataclass(eq=False)
class Text(Node):
    text: str = ""


@dataclass(eq=False)
class Operand:
    kind: str  # field var dot ident const pipe
    value: Any = None  # ident name, var name, constant, or Pipe
    chain: tuple[str, ...] = ()  # field names after it (".A.B" -> ("A", "B"))


@dataclass(eq=False)
class Pipe:
    decl: list[str] = field(default_factory=list)
    assign: bool = False  # "=" rather than ":="
    cmds: list[list[Operand]] = field(default_factory=list)


@dataclass(eq=False)
class Action(Node):
    pipe: Pipe = field(default_factory=Pipe)
    # Filled by escaping.escape(): functions applied to the printed value.
    escapers: tuple[Any, ...] = ()


@dataclass(eq=False)
class Branch(Node):
    kind: str = ""  # if range with
    pipe: Pipe = field(default_factory=Pipe)
    body: list[Node] = field(default_factory=list)
    else_body: list[Node] = field(default_factory=list)


@dataclass(eq=False)
class Call(Node):
    name: str = ""
    pipe: Pipe | None = None
    target: str = ""  # the template to run: the name, or its copy for a context


@dataclass(eq=False)
class Slot(Node):
    """Where a campaign template's content goes when the content was rendered
    apart (a Django-syntax or plain body): Env.content, inserted as is."""


@dataclass(eq=False)
class Loop(Node):
    kind: str = ""  # break continue


# --- parser -------------------------------------------------------------------------


def parse(
    source: str, funcs: Container[str]
) -> tuple[list[Node], dict[str, list[Node]]]:
    parser = _Parser(lex(source), funcs)
    body, end = parser.list_until(())
    assert end is None  # noqa: S101 (list_until(()) only stops at the end)
    return body, parser.defines


class _Parser:
    def __init__(self, pieces: list[Piece], funcs: Container[str]):
        self.pieces = pieces
        self.i = 0
        self.funcs = funcs
        self.defines: dict[str, list[Node]] = {}
        self.vars: list[str] = ["$"]
        self.loops = 0
        self.piece: Piece = Piece("", 1)
        self.toks: list[Token] = []
        self.t = 0

    def fail(self, message: str) -> GoTemplateError:
        return GoTemplateError(
            message, line=self.piece.line, expression=self.piece.source
        )

    # A list of nodes, up to one of the keywords in `stop` ("end", "else").
    def list_until(self, stop: tuple[str, ...]) -> tuple[list[Node], Piece | None]:
        nodes: list[Node] = []
        while self.i < len(self.pieces):
            piece = self.pieces[self.i]
            self.i += 1
            if piece.tokens is None:
                nodes.append(Text(piece.line, "", piece.text))
                continue
            self.piece, self.toks, self.t = piece, piece.tokens, 0
            if not self.toks:
                raise self.fail("missing value for command")
            first = self.toks[0]
            word = first.value if first.kind == "ident" else ""
            if word in ("end", "else"):
                if word not in stop:
                    raise self.fail(f"unexpected {{{{{word}}}}}")
                return nodes, piece
            node = self.action(word)
            if node is not None:
                nodes.append(node)
        if stop:
            raise GoTemplateError("unexpected EOF: missing {{ end }}",
                                  line=self.piece.line, expression=self.piece.source)  # fmt: skip
        return nodes, None

    def action(self, word: str) -> Node | None:
        p = self.piece
        if word in ("if", "range", "with"):
            self.t = 1
            return self.branch(word)
        if word in ("break", "continue"):
            if not self.loops:
                raise self.fail(f"{{{{{word}}}}} outside {{{{range}}}}")
            if len(self.toks) != 1:
                raise self.fail(f"unexpected {self.toks[1].value} in {word}")
            return Loop(p.line, p.source, word)
        if word in ("template", "block", "define"):
            return self.template(word)
        pipe = self.pipeline("command", allow_decl=True)
        return Action(p.line, p.source, pipe)

    def branch(self, kind: str) -> Branch:
        p = self.piece
        depth = len(self.vars)
        pipe = self.pipeline(kind, allow_decl=True, range_decl=kind == "range")
        if kind == "range":
            self.loops += 1
        body, end = self.list_until(("end", "else"))
        if kind == "range":
            self.loops -= 1
        node = Branch(p.line, p.source, kind, pipe, body)
        assert end is not None  # noqa: S101
        if end.tokens and end.tokens[0].value == "else":
            del self.vars[depth:]
            self.piece, self.toks, self.t = end, end.tokens, 1
            nxt = self.toks[1].value if len(self.toks) > 1 else ""
            if nxt in ("if", "with") and kind in ("if", "with") and nxt == kind:
                # "else if" / "else with": a nested branch sharing our {{ end }}.
                self.t = 2
                node.else_body = [self.branch(nxt)]
            elif len(self.toks) > 1:
                raise self.fail(f"unexpected {nxt!r} in else")
            else:
                node.else_body, end = self.list_until(("end",))
                if end and len(end.tokens or ()) > 1:
                    raise self.fail("unexpected words in end")
        elif len(end.tokens or ()) > 1:
            self.piece = end
            raise self.fail("unexpected words in end")
        del self.vars[depth:]
        return node

    def template(self, word: str) -> Node | None:
        p = self.piece
        if len(self.toks) < 2 or self.toks[1].kind not in ("string", "rawstring"):
            raise self.fail(f"{word}: expected a quoted template name")
        name = _unquote(self.toks[1])
        self.t = 2
        if word == "define":
            if len(self.vars) != 1 or self.loops:
                raise self.fail("define is only allowed at the top level")
            if len(self.toks) > 2:
                raise self.fail("unexpected words after the define name")
            saved = self.vars
            self.vars = ["$"]
            body, _end = self.list_until(("end",))
            self.vars = saved
            self._define(name, body, p)
            return None
        pipe = self.pipeline(word) if self.t < len(self.toks) else None
        if word == "block":
            saved = self.vars
            self.vars = ["$"]
            body, _end = self.list_until(("end",))
            self.vars = saved
            self._define(name, body, p)
        return Call(p.line, p.source, name, pipe)

    def _define(self, name: str, body: list[Node], p: Piece) -> None:
        if name in self.defines:
            raise GoTemplateError(f'template "{name}" redefined', line=p.line,
                                  expression=p.source)  # fmt: skip
        self.defines[name] = body

    # --- pipelines ------------------------------------------------------------

    def peek(self) -> Token | None:
        return self.toks[self.t] if self.t < len(self.toks) else None

    def pipeline(self, ctx: str, *, allow_decl: bool = False, range_decl: bool = False,
                 close: str = "") -> Pipe:  # fmt: skip
        pipe = Pipe()
        if allow_decl:
            self._declarations(pipe, range_decl)
        while True:
            tok = self.peek()
            if tok is None or tok.kind == close:
                break
            cmd = self.command()
            pipe.cmds.append(cmd)
            tok = self.peek()
            if tok is not None and tok.kind == "|":
                self.t += 1
                if self.peek() is None or self.peek().kind == close:  # type: ignore[union-attr]
                    raise self.fail("missing command after |")
                continue
        if not pipe.cmds:
            raise self.fail(f"missing value for {ctx}")
        for i, cmd in enumerate(pipe.cmds):
            head = cmd[0]
            if i and head.kind in ("const", "dot") and not head.chain:
                raise self.fail(f"non executable command in pipeline stage {i + 1}")
        return pipe

    def _declarations(self, pipe: Pipe, range_decl: bool) -> None:
        toks, t = self.toks, self.t
        names: list[str] = []
        if t < len(toks) and toks[t].kind == "var":
            names.append(toks[t].value)
            if range_decl and t + 2 < len(toks) and toks[t + 1].kind == ",":
                if toks[t + 2].kind != "var":
                    raise self.fail("range can only initialize variables")
                names.append(toks[t + 2].value)
                t += 2
            if t + 1 < len(toks) and toks[t + 1].kind in (":=", "="):
                pipe.assign = toks[t + 1].kind == "="
                if pipe.assign:
                    for name in names:
                        self._check_var(name)
                else:
                    self.vars.extend(names)
                pipe.decl = names
                self.t = t + 2
            elif len(names) == 2:
                raise self.fail("range can only initialize variables")

    def _check_var(self, name: str) -> None:
        if name not in self.vars:
            raise self.fail(f"undefined variable {name!r}")

    def command(self) -> list[Operand]:
        args: list[Operand] = []
        while True:
            tok = self.peek()
            if tok is None or tok.kind in ("|", ")"):
                break
            args.append(self.operand())
        if not args:
            raise self.fail("empty command")
        head = args[0]
        if len(args) > 1 and head.kind in ("const", "dot", "var") and not head.chain:
            raise self.fail(f"can't give argument to non-function {self._show(head)}")
        if head.kind == "const" and head.value is None and len(args) == 1:
            raise self.fail("nil is not a command")
        return args

    def _show(self, op: Operand) -> str:
        return "." if op.kind == "dot" else repr(op.value)

    def operand(self) -> Operand:
        tok = self.toks[self.t]
        self.t += 1
        kind = tok.kind
        if kind == "field":
            return Operand("field", None, tuple(tok.value[1:].split(".")))
        if kind == "var":
            self._check_var(tok.value)
            op = Operand("var", tok.value)
        elif kind == ".":
            op = Operand("dot")
        elif kind == "ident":
            if tok.value in ("true", "false"):
                op = Operand("const", tok.value == "true")
            elif tok.value == "nil":
                op = Operand("const", None)
            elif tok.value in KEYWORDS:
                raise self.fail(f"unexpected {tok.value!r} in operand")
            elif tok.value not in self.funcs:
                raise self.fail(f'function "{tok.value}" not defined')
            else:
                op = Operand("ident", tok.value)
        elif kind in ("string", "rawstring"):
            op = Operand("const", _unquote(tok))
        elif kind == "char":
            op = Operand("const", _char(tok, self))
        elif kind == "number":
            op = Operand("const", _number(tok.value, self))
        elif kind == "(":
            pipe = self.pipeline("parenthesized pipeline", close=")")
            if self.peek() is None:
                raise self.fail("unclosed left paren")
            self.t += 1
            op = Operand("pipe", pipe)
            tok = self.toks[self.t - 1]
        else:
            raise self.fail(f"unexpected {tok.value!r} in operand")
        # A field chain glued to the operand: $x.A, (pipe).A, L.T
        nxt = self.peek()
        if (
            nxt is not None
            and nxt.kind == "field"
            and nxt.pos
            == tok.pos + len(tok.value if kind != "rawstring" else "``" + tok.value)
        ):
            if op.kind == "const":
                raise self.fail(f"unexpected . after term {tok.value!r}")
            self.t += 1
            op.chain = tuple(nxt.value[1:].split("."))
        return op


def _unquote(tok: Token) -> str:
    if tok.kind == "rawstring":
        return tok.value
    try:
        # Go and Python share the common escapes; \u and \x decode alike.
        value = pyast.literal_eval(tok.value)
    except (ValueError, SyntaxError):
        raise GoTemplateError(f"bad string: {tok.value}") from None
    return str(value)


def _char(tok: Token, parser: _Parser) -> int:
    try:
        value = pyast.literal_eval(tok.value)
    except (ValueError, SyntaxError):
        raise parser.fail(f"malformed character constant: {tok.value}") from None
    if not isinstance(value, str) or len(value) != 1:
        raise parser.fail(f"malformed character constant: {tok.value}")
    return ord(value)


def _number(text: str, parser: _Parser) -> int | float:
    clean = text.replace("_", "")
    if clean.endswith("i"):
        raise parser.fail(f"complex numbers are not supported: {text}")
    try:
        if clean.lstrip("+-")[:2].lower() in ("0x", "0o", "0b"):
            return int(clean, 0)
        if clean.lstrip("+-").isdigit():
            if len(clean.lstrip("+-")) > 1 and clean.lstrip("+-")[0] == "0":
                return int(clean, 8)  # Go reads 017 as octal
            return int(clean)
        return float(clean)
    except ValueError:
        raise parser.fail(f"bad number syntax: {text!r}") from None
