"""The functions a template may call: Go's builtins, listmonk's, and a safe
subset of Sprig's string, list, default and date functions.

Each is a plain Python function of Go values; FUNCS maps the template name to
a Func that knows its arity. Functions marked `env` also get the Env of the
render (the subscriber's links, the clock), which templates cannot reach.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from campaigns.gotemplate.values import (
    MISSING,
    GoStruct,
    GoTime,
    SafeHTML,
    format_time,
    go_type,
    sprint,
    sprint_value,
    sprintf,
)  # fmt: skip

MAX_STRING = 2_000_000  # no function builds a string longer than the output cap


class FuncError(Exception):
    """A function refused its arguments; the evaluator adds where."""


@dataclass(frozen=True)
class Func:
    call: Callable[..., Any]
    env: bool
    min_args: int
    max_args: int | None  # None: variadic


FUNCS: dict[str, Func] = {}


def fn(
    name: str, *, env: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(f: Callable[..., Any]) -> Callable[..., Any]:
        params = list(inspect.signature(f).parameters.values())[1 if env else 0 :]
        positional = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
        variadic = any(p.kind is p.VAR_POSITIONAL for p in params)
        required = [p for p in positional if p.default is p.empty]
        FUNCS[name] = Func(f, env, len(required), None if variadic else len(positional))
        return f

    return register


def truth(value: Any) -> bool:
    """Go's template truth: false, 0, nil and empty things are false."""
    if isinstance(value, GoStruct | GoTime):
        return True
    return bool(value)


def _str(value: Any) -> str:
    """Sprig's strval."""
    if value is None or value is MISSING:
        return ""
    return sprint_value(value)


def _cap(text: str) -> str:
    if len(text) > MAX_STRING:
        raise FuncError("result exceeds the output size limit")
    return text


# --- Go builtins ----------------------------------------------------------------------

# and / or are evaluated lazily by the evaluator; these registrations give the arity.
FUNCS["and"] = Func(lambda *a: a[-1], False, 1, None)
FUNCS["or"] = Func(lambda *a: a[-1], False, 1, None)


@fn("not")
def _not(value: Any) -> bool:
    return not truth(value)


@fn("len")
def _len(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-8"))  # Go counts bytes
    if isinstance(value, dict | list | tuple) and not isinstance(value, GoStruct):
        return len(value)
    raise FuncError(f"len of type {go_type(value)}")


@fn("index")
def _index(item: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(item, dict) and not isinstance(item, GoStruct):
            if not isinstance(key, str):
                raise FuncError(f"value has type {go_type(key)}; should be string")
            item = item.get(key)  # a missing key gives the zero value, nil
        elif isinstance(item, list | tuple | str):
            i = _int_index(key)
            size = len(item.encode() if isinstance(item, str) else item)
            if not 0 <= i < size:
                raise FuncError(f"index out of range: {i}")
            item = item.encode()[i] if isinstance(item, str) else item[i]
        elif item is None or item is MISSING:
            raise FuncError("index of untyped nil")
        else:
            raise FuncError(f"can't index item of type {go_type(item)}")
    return item


def _int_index(key: Any) -> int:
    if isinstance(key, bool) or not isinstance(key, int | float) or key != int(key):
        raise FuncError(f"cannot index slice/array with type {go_type(key)}")
    return int(key)


@fn("slice")
def _slice(item: Any, *idx: Any) -> Any:
    if not isinstance(item, str | list | tuple):
        raise FuncError(f"can't slice item of type {go_type(item)}")
    if len(idx) > 2:
        raise FuncError("too many slice indexes")
    bounds = [_int_index(i) for i in idx]
    size = len(item)
    lo = bounds[0] if bounds else 0
    hi = bounds[1] if len(bounds) > 1 else size
    if not 0 <= lo <= hi <= size:
        raise FuncError(f"slice index out of range: {lo}:{hi}")
    return item[lo:hi]


@fn("print")
def _print(*args: Any) -> str:
    return _cap(sprint(*args))


@fn("println")
def _println(*args: Any) -> str:
    return _cap(" ".join(sprint_value(a) for a in args) + "\n")


@fn("printf")
def _printf(fmt: str, *args: Any) -> str:
    return _cap(sprintf(_str(fmt), *args))


@fn("html")
def _html(*args: Any) -> str:
    table = {0: "\ufffd", ord('"'): "&#34;", ord("'"): "&#39;", ord("&"): "&amp;",
             ord("<"): "&lt;", ord(">"): "&gt;"}  # fmt: skip
    return _print(*args).translate(table)


@fn("js")
def _js(*args: Any) -> str:
    table = {ord("\\"): "\\\\", ord("'"): "\\'", ord('"'): '\\"', ord("<"): "\\u003C",
             ord(">"): "\\u003E", ord("&"): "\\u0026", ord("="): "\\u003D"}  # fmt: skip
    text = _print(*args).translate(table)
    return re.sub(r"[\x00-\x1f]", lambda m: f"\\u{ord(m.group(0)):04X}", text)


@fn("urlquery")
def _urlquery(*args: Any) -> str:
    out = []
    for byte in _print(*args).encode("utf-8"):
        c = chr(byte)
        if byte < 0x80 and (c.isalnum() or c in "-_.~"):
            out.append(c)
        else:
            out.append("+" if c == " " else f"%{byte:02X}")
    return "".join(out)


def _kind(value: Any) -> str:
    if value is None or value is MISSING:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"  # Go refuses int vs float64; stmails compares the numbers
    if isinstance(value, str):
        return "string"
    if isinstance(value, GoTime):
        return "time"
    return "other"


@fn("eq")
def _eq(arg1: Any, *args: Any) -> bool:
    if not args:
        raise FuncError("missing argument for comparison")
    k1 = _kind(arg1)
    for arg in args:
        k2 = _kind(arg)
        if k1 == "other" or k2 == "other":
            raise FuncError("non-comparable type")
        if k1 != k2:
            if k1 != "nil" and k2 != "nil":
                raise FuncError("incompatible types for comparison")
            continue
        if k1 == "nil" or arg1 == arg:
            return True
    return False


@fn("ne")
def _ne(a: Any, b: Any) -> bool:
    return not _eq(a, b)


def _order(a: Any, b: Any) -> tuple[Any, Any]:
    ka, kb = _kind(a), _kind(b)
    if ka not in ("number", "string") or kb not in ("number", "string"):
        raise FuncError("invalid type for comparison")
    if ka != kb:
        raise FuncError("incompatible types for comparison")
    return (str(a), str(b)) if ka == "string" else (a, b)


@fn("lt")
def _lt(a: Any, b: Any) -> bool:
    x, y = _order(a, b)
    return x < y


@fn("le")
def _le(a: Any, b: Any) -> bool:
    x, y = _order(a, b)
    return x <= y


@fn("gt")
def _gt(a: Any, b: Any) -> bool:
    x, y = _order(a, b)
    return x > y


@fn("ge")
def _ge(a: Any, b: Any) -> bool:
    x, y = _order(a, b)
    return x >= y


# --- listmonk's -----------------------------------------------------------------------


@dataclass
class Env:
    """What listmonk's functions need for one message; built per render."""

    unsubscribe: str = ""
    message: str = ""
    optin: str = ""
    view_pixel: str = ""
    track_link: Callable[[str], str] | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    content: str = ""  # a campaign body rendered apart, for {{ template "content" . }}


class I18n:
    """L: listmonk's translator; templates call L.T "key"."""

    STRINGS = {
        "email.unsub": "Unsubscribe",
        "email.unsubHelp": "Don't want to receive these e-mails?",
        "email.viewInBrowser": "View in browser",
        "email.manage": "Manage preferences",
        "email.optin.confirmSub": "Confirm subscription",
        "email.optin.confirmSubHelp": "Confirm your subscription by clicking the below button.",
        "email.optin.confirmSubInfo": "You have been added to the following lists:",
        "email.optin.confirmSubTitle": "Confirm subscription",
        "email.optin.confirmSubWelcome": "Hi {name},",
        "email.optin.privateList": "Private list",
        "email.data.title": "Your data",
        "email.data.info": "A copy of all data recorded on you is attached as a file in "
        "JSON format. It can be viewed in a text editor.",
        "public.unsubTitle": "Unsubscribe",
        "public.poweredBy": "Powered by",
        "globals.terms.campaign": "Campaign",
    }

    METHODS = ("T", "Ts")

    def T(self, key: Any) -> str:  # noqa: N802 (listmonk's name)
        key = _str(key)
        return self.STRINGS.get(key, key)

    def Ts(self, key: Any, *params: Any) -> str:  # noqa: N802
        """L.Ts "key" "name" value ...: the string with {name} filled in."""
        text = self.T(key)
        for i in range(0, len(params) - 1, 2):
            text = text.replace("{" + _str(params[i]) + "}", _str(params[i + 1]))
        return text


I18N = I18n()


@fn("L")
def _l() -> I18n:
    return I18N


@fn("UnsubscribeURL", env=True)
def _unsubscribe(env: Env, *_dot: Any) -> str:
    return env.unsubscribe


@fn("ManageURL", env=True)
def _manage(env: Env, *_dot: Any) -> str:
    if not env.unsubscribe:
        return ""
    return env.unsubscribe + ("&" if "?" in env.unsubscribe else "?") + "manage=true"


@fn("MessageURL", env=True)
def _message(env: Env, *_dot: Any) -> str:
    return env.message


@fn("OptinURL", env=True)
def _optin(env: Env, *_dot: Any) -> str:
    return env.optin


@fn("TrackView", env=True)
def _track_view(env: Env, *_dot: Any) -> SafeHTML:
    if not env.view_pixel:
        return SafeHTML("")
    src = env.view_pixel.replace("&", "&amp;").replace('"', "&#34;")
    return SafeHTML(f'<img src="{src}" alt="" />')


@fn("TrackLink", env=True)
def _track_link(env: Env, url: Any, *_dot: Any) -> str:
    url = _str(url)
    return env.track_link(url) if env.track_link is not None else url


@fn("Date", env=True)
def _date(env: Env, layout: Any) -> str:
    return format_time(env.clock(), _str(layout))


@fn("Safe")
def _safe(value: Any) -> SafeHTML:
    return SafeHTML(_str(value))
