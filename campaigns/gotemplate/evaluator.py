"""Executes a parsed, escaped template against Go values (text/template's exec).

Sandboxed: a template reads fields of GoStruct and dict values only, calls the
functions in FUNCS and the few methods listed on the types below, and runs
within a budget of steps, template-call depth and output bytes, so neither
a typo nor a hostile template can hang or bloat a send.
"""

from __future__ import annotations

from typing import Any

from campaigns.gotemplate.errors import GoTemplateError
from campaigns.gotemplate.functions import FUNCS, Env, FuncError, I18n, truth
from campaigns.gotemplate.parser import (
    Action,
    Branch,
    Call,
    Loop,
    Node,
    Operand,
    Pipe,
    Slot,
    Text,
)  # fmt: skip
from campaigns.gotemplate.values import MISSING, GoStruct, GoTime, format_time, go_type
from campaigns.gotemplate.values import sprint_value as print_text

MAX_OUTPUT = 2_000_000  # characters of output per rendered part
MAX_STEPS = 200_000  # actions, texts and loop turns per render
MAX_DEPTH = 50  # nested {{ template }} calls


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Fail(Exception):
    """An error without a place yet; the action that raised it adds one."""


class _State:
    __slots__ = ("templates", "env", "out", "size", "steps", "vars", "depth", "html")

    def __init__(self, templates: dict[str, list[Node]], env: Env, html: bool):
        self.templates = templates
        self.env = env
        self.html = html
        self.out: list[str] = []
        self.size = 0
        self.steps = 0
        self.vars: list[tuple[str, Any]] = []
        self.depth = 0


def execute(nodes: list[Node], templates: dict[str, list[Node]], data: Any, env: Env,
            *, html: bool) -> str:  # fmt: skip
    state = _State(templates, env, html)
    state.vars.append(("$", data))
    _walk(state, nodes, data)
    return "".join(state.out)


def _write(state: _State, text: str, node: Node) -> None:
    state.size += len(text)
    if state.size > MAX_OUTPUT:
        raise GoTemplateError(f"output exceeds {MAX_OUTPUT:,} characters", line=node.line,
                              expression=node.source)  # fmt: skip
    state.out.append(text)


def _walk(state: _State, nodes: list[Node], dot: Any) -> None:
    for node in nodes:
        state.steps += 1
        if state.steps > MAX_STEPS:
            raise GoTemplateError(f"template too long to run (over {MAX_STEPS:,} steps)",
                                  line=node.line, expression=node.source)  # fmt: skip
        if type(node) is Text:
            if node.text:
                _write(state, node.text, node)
            continue
        try:
            if type(node) is Action:
                value = _pipe(state, node.pipe, dot)
                if node.pipe.decl:
                    continue
                if node.escapers:
                    for esc in node.escapers:
                        value = esc(value)
                    _write(state, value, node)
                else:
                    _write(state, print_text(value), node)
            elif type(node) is Branch:
                _branch(state, node, dot)
            elif type(node) is Call:
                _call(state, node, dot)
            elif type(node) is Slot:
                _write(state, state.env.content, node)
            elif type(node) is Loop:
                raise _Break() if node.kind == "break" else _Continue()
        except (_Fail, FuncError) as err:
            raise GoTemplateError(
                str(err), line=node.line, expression=node.source
            ) from None
        except RecursionError:
            raise GoTemplateError("template nests too deeply", line=node.line,
                                  expression=node.source) from None  # fmt: skip


def _branch(state: _State, node: Branch, dot: Any) -> None:
    mark = len(state.vars)
    try:
        if node.kind != "range":
            value = _pipe(state, node.pipe, dot)
            if truth(value) and value is not MISSING:
                _walk(state, node.body, value if node.kind == "with" else dot)
            else:
                _walk(state, node.else_body, dot)
            return
        _range(state, node, dot, mark)
    finally:
        del state.vars[mark:]


def _range(state: _State, node: Branch, dot: Any, mark: int) -> None:
    decl = node.pipe.decl
    value = _pipe(state, Pipe([], False, node.pipe.cmds), dot)
    if isinstance(value, GoStruct):
        raise _Fail(f"range can't iterate over {go_type(value)}")
    if isinstance(value, dict):
        items: Any = ((k, value[k]) for k in sorted(value, key=str))
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    elif isinstance(value, int) and not isinstance(value, bool) and len(decl) < 2:
        items = ((i, i) for i in range(max(0, value)))  # Go 1.22: range over an int
    elif value is None or value is MISSING:
        items = iter(())
    else:
        raise _Fail(f"range can't iterate over {print_text(value)}")
    ran = False
    for key, item in items:
        ran = True
        state.steps += 1
        if state.steps > MAX_STEPS:
            raise _Fail(f"template too long to run (over {MAX_STEPS:,} steps)")
        del state.vars[mark:]
        if len(decl) == 1:
            state.vars.append((decl[0], item))
        elif len(decl) == 2:
            state.vars.append((decl[0], key))
            state.vars.append((decl[1], item))
        try:
            _walk(state, node.body, item)
        except _Break:
            break
        except _Continue:
            continue
    if not ran:
        del state.vars[mark:]
        _walk(state, node.else_body, dot)


def _call(state: _State, node: Call, dot: Any) -> None:
    data = _pipe(state, node.pipe, dot) if node.pipe is not None else None
    if state.depth >= MAX_DEPTH:
        raise _Fail(f"exceeded maximum template depth ({MAX_DEPTH})")
    saved = state.vars
    state.vars = [("$", data)]
    state.depth += 1
    try:
        _walk(state, state.templates[node.target], data)
    finally:
        state.depth -= 1
        state.vars = saved


# --- pipelines --------------------------------------------------------------------------

_NO_FINAL = object()


def _pipe(state: _State, pipe: Pipe, dot: Any) -> Any:
    value: Any = _NO_FINAL
    for cmd in pipe.cmds:
        value = _command(state, cmd, dot, value)
    if pipe.decl:
        if pipe.assign:
            _assign(state, pipe.decl[0], value)
        else:
            state.vars.append((pipe.decl[0], value))
    return value


def _assign(state: _State, name: str, value: Any) -> None:
    for i in range(len(state.vars) - 1, -1, -1):
        if state.vars[i][0] == name:
            state.vars[i] = (name, value)
            return
    raise _Fail(f"undefined variable: {name}")


def _command(state: _State, cmd: list[Operand], dot: Any, final: Any) -> Any:
    head = cmd[0]
    if head.kind == "ident" and not head.chain:
        return _function(state, head.value, cmd[1:], dot, final)
    if len(cmd) == 1 and final is not _NO_FINAL and not head.chain:
        raise _Fail(
            f"can't give argument to non-function {print_text(_arg(state, head, dot))}"
        )
    if head.chain:
        base = _operand_base(state, head, dot)
        args = [_arg(state, a, dot) for a in cmd[1:]]
        if final is not _NO_FINAL:
            args.append(final)
        return _field_chain(base, head.chain, args)
    return _arg(state, head, dot)


def _operand_base(state: _State, op: Operand, dot: Any) -> Any:
    if op.kind == "field":
        return dot
    if op.kind == "ident":
        return _function(state, op.value, [], dot, _NO_FINAL)
    return _arg(state, Operand(op.kind, op.value), dot)


def _arg(state: _State, op: Operand, dot: Any) -> Any:
    kind = op.kind
    if kind == "const":
        return op.value
    if kind == "dot":
        value = dot
    elif kind == "var":
        value = _lookup(state, op.value)
    elif kind == "pipe":
        value = _pipe(state, op.value, dot)
    elif kind == "field":
        return _field_chain(dot, op.chain, [])
    else:  # a function as an argument runs with no arguments: {{ print UnsubscribeURL }}
        value = _function(state, op.value, [], dot, _NO_FINAL)
    if op.chain:
        return _field_chain(value, op.chain, [])
    return value


def _lookup(state: _State, name: str) -> Any:
    for i in range(len(state.vars) - 1, -1, -1):
        if state.vars[i][0] == name:
            return state.vars[i][1]
    raise _Fail(f"undefined variable: {name}")


def _function(
    state: _State, name: str, ops: list[Operand], dot: Any, final: Any
) -> Any:
    func = FUNCS[name]
    if name in ("and", "or"):  # Go 1.18+: stop at the first decisive argument
        values = [lambda op=op: _arg(state, op, dot) for op in ops]
        if final is not _NO_FINAL:
            values.append(lambda: final)
        if not values:
            raise _Fail(f"wrong number of args for {name}: want at least 1 got 0")
        value = None
        for get in values:
            value = get()
            if truth(value) != (name == "and"):
                return value
        return value
    args = [_arg(state, op, dot) for op in ops]
    if final is not _NO_FINAL:
        args.append(final)
    if len(args) < func.min_args or (
        func.max_args is not None and len(args) > func.max_args
    ):
        want = (
            func.min_args
            if func.max_args == func.min_args
            else f"at least {func.min_args}"
        )
        raise _Fail(f"wrong number of args for {name}: want {want} got {len(args)}")
    try:
        return func.call(state.env, *args) if func.env else func.call(*args)
    except FuncError as err:
        raise _Fail(f"error calling {name}: {err}") from None
    except (TypeError, ValueError, OverflowError, ArithmeticError) as err:
        raise _Fail(f"error calling {name}: {err}") from None


# What a template may call on the values it holds (methods, not attributes).
def _method(value: Any, name: str, args: list[Any]) -> Any:
    if isinstance(value, I18n) and name in I18n.METHODS:
        if len(args) != 1 and (name == "T" or not args):
            raise _Fail(f"wrong number of args for {name}: want 1 got {len(args)}")
        return value.T(args[0]) if name == "T" else value.Ts(*args)
    if isinstance(value, GoTime):
        t = value.value
        simple = {"Year": t.year, "Month": t.month, "Day": t.day, "Hour": t.hour,
                  "Minute": t.minute, "Unix": int(t.timestamp()), "Time": value,
                  "Valid": True}  # fmt: skip
        if name == "Format":
            if len(args) != 1 or not isinstance(args[0], str):
                raise _Fail("wrong number of args for Format: want 1")
            return format_time(t, args[0])
        if name in simple and not args:
            return simple[name]
    raise _Fail(f"can't evaluate field {name} in type {go_type(value)}")


def _field_chain(value: Any, chain: tuple[str, ...], args: list[Any]) -> Any:
    last = len(chain) - 1
    for i, name in enumerate(chain):
        call_args = args if i == last else []
        if isinstance(value, GoStruct):
            if name not in value:
                raise _Fail(f"can't evaluate field {name} in type {value.go_type}")
            value = value[name]
        elif isinstance(value, dict):
            value = value.get(name, MISSING)
        elif value is MISSING:
            # Go: a field of a missing map entry is missing too (no error)...
            continue
        elif value is None:
            # ...but a field of a nil value (a JSON null) is an error.
            raise _Fail(f"nil pointer evaluating interface {{}}.{name}")
        else:
            value = _method(value, name, call_args)
            continue
        if call_args:
            raise _Fail(f"{name} has arguments but cannot be invoked as function")
    return value
