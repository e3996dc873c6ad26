"""The Sprig functions stmails offers (a safe subset of the 100+ listmonk has).

Argument order is Sprig's: the piped value comes last, so
`{{ .Subscriber.Name | default "friend" }}` is default("friend", name).
Left out on purpose: anything touching the environment, files, the network,
randomness or crypto keys (env, expandenv, genPrivateKey, getHostByName, ...),
and the reflection helpers.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from campaigns.gotemplate.functions import (
    MAX_STRING,
    Env,
    FuncError,
    _cap,
    _str,
    fn,
    truth,
)  # fmt: skip
from campaigns.gotemplate.values import (
    MISSING,
    GoStruct,
    GoTime,
    format_time,
    quote_go,
    sprint_value,
)  # fmt: skip


def _empty(value: Any) -> bool:
    if value is None or value is MISSING:
        return True
    if isinstance(value, GoStruct | GoTime):
        return False
    return not value


def _num(value: Any) -> int | float:
    """Sprig's toInt64/toFloat64 leniency: strings and bools convert."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    try:
        text = _str(value).strip()
        return int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
    except ValueError:
        return 0


@fn("lower")
def _lower(s: Any) -> str:
    return _str(s).lower()


@fn("upper")
def _upper(s: Any) -> str:
    return _str(s).upper()


@fn("title")
def _title(s: Any) -> str:
    # strings.Title: upper-cases the first letter of each word, leaves the rest.
    out, prev_sep = [], True
    for ch in _str(s):
        out.append(ch.upper() if prev_sep else ch)
        prev_sep = not (ch.isalnum() or ch == "_") and (ch.isspace() or ord(ch) < 0x80)
    return "".join(out)


@fn("trim")
def _trim(s: Any) -> str:
    return _str(s).strip()


@fn("trimAll")
def _trim_all(chars: Any, s: Any) -> str:
    return _str(s).strip(_str(chars))


@fn("trimPrefix")
def _trim_prefix(prefix: Any, s: Any) -> str:
    return _str(s).removeprefix(_str(prefix))


@fn("trimSuffix")
def _trim_suffix(suffix: Any, s: Any) -> str:
    return _str(s).removesuffix(_str(suffix))


@fn("replace")
def _replace(old: Any, new: Any, s: Any) -> str:
    text, old = _str(s), _str(old)
    if not old:  # Go inserts `new` between every rune; bound it like repeat
        return _cap(_str(new) + _str(new).join(text) + _str(new))
    return _cap(text.replace(old, _str(new)))


@fn("contains")
def _contains(sub: Any, s: Any) -> bool:
    return _str(sub) in _str(s)


@fn("hasPrefix")
def _has_prefix(prefix: Any, s: Any) -> bool:
    return _str(s).startswith(_str(prefix))


@fn("hasSuffix")
def _has_suffix(suffix: Any, s: Any) -> bool:
    return _str(s).endswith(_str(suffix))


@fn("repeat")
def _repeat(count: Any, s: Any) -> str:
    n, text = int(_num(count)), _str(s)
    if n < 0:
        raise FuncError("repeat: negative count")
    if n * len(text) > MAX_STRING:
        raise FuncError("repeat: result exceeds the output size limit")
    return text * n


@fn("substr")
def _substr(start: Any, end: Any, s: Any) -> str:
    text, a, b = _str(s), int(_num(start)), int(_num(end))
    if a < 0:
        return text[:b]
    if b < 0 or b > len(text):
        return text[a:]
    return text[a:b]


@fn("trunc")
def _trunc(n: Any, s: Any) -> str:
    text, c = _str(s), int(_num(n))
    if c < 0 and len(text) + c > 0:
        return text[len(text) + c :]
    if c >= 0 and len(text) > c:
        return text[:c]
    return text


@fn("nospace")
def _nospace(s: Any) -> str:
    return re.sub(r"\s+", "", _str(s))


@fn("abbrev")
def _abbrev(width: Any, s: Any) -> str:
    text, w = _str(s), int(_num(width))
    if w < 4 or len(text) <= w:
        return text
    return text[: w - 3] + "..."


@fn("initials")
def _initials(s: Any) -> str:
    return "".join(word[0] for word in _str(s).split())


@fn("quote")
def _quote(*args: Any) -> str:
    return " ".join(
        quote_go(_str(a)) for a in args if a is not None and a is not MISSING
    )


@fn("squote")
def _squote(*args: Any) -> str:
    return " ".join(f"'{_str(a)}'" for a in args if a is not None and a is not MISSING)


@fn("cat")
def _cat(*args: Any) -> str:
    return _cap(
        " ".join(sprint_value(a) for a in args if a is not None and a is not MISSING)
    )


@fn("toString")
def _to_string(value: Any) -> str:
    return _str(value)


@fn("atoi")
def _atoi(value: Any) -> int:
    try:
        return int(_str(value))
    except ValueError:
        return 0


@fn("int")
def _int(value: Any) -> int:
    number = _num(value)
    if isinstance(number, float) and not math.isfinite(number):
        return -(2**63)  # what Go's conversion gives on amd64
    return int(_i64(int(number)))


@fn("float64")
def _float(value: Any) -> float:
    return float(_num(value))


def _i64(value: int | float) -> int | float:
    """Go's int64 wraps around; Python's ints would grow without bound (and a
    loop squaring a number would hang the render)."""
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        return (value + 2**63) % 2**64 - 2**63
    return value


@fn("add")
def _add(*args: Any) -> int | float:
    out: int | float = 0
    for a in args:
        out = _i64(out + _num(a))
    return out


@fn("sub")
def _sub(a: Any, b: Any) -> int | float:
    return _i64(_num(a) - _num(b))


@fn("mul")
def _mul(*args: Any) -> int | float:
    out: int | float = 1
    for a in args:
        out = _i64(out * _num(a))
    return out


def _quotient(x: int, y: int) -> int:
    q = abs(x) // abs(y)  # Go truncates toward zero
    return q if (x < 0) == (y < 0) else -q


@fn("div")
def _div(a: Any, b: Any) -> int | float:
    x, y = _num(a), _num(b)
    if not y:
        raise FuncError("integer divide by zero")
    if isinstance(x, int) and isinstance(y, int):
        return _i64(_quotient(x, y))
    return x / y


@fn("mod")
def _mod(a: Any, b: Any) -> int:
    x, y = int(_num(a)), int(_num(b))
    if not y:
        raise FuncError("integer divide by zero")
    return x - y * _quotient(x, y)  # the sign of the dividend, as in Go


@fn("max")
def _max(a: Any, *rest: Any) -> int | float:
    return max(_num(v) for v in (a, *rest))


@fn("min")
def _min(a: Any, *rest: Any) -> int | float:
    return min(_num(v) for v in (a, *rest))


# --- lists and defaults ----------------------------------------------------------------


@fn("join")
def _join(sep: Any, items: Any) -> str:
    if isinstance(items, list | tuple):
        return _cap(_str(sep).join(_str(v) for v in items))
    return _str(items)


@fn("splitList")
def _split_list(sep: Any, s: Any) -> list[str]:
    return _str(s).split(_str(sep)) if _str(sep) else list(_str(s))


@fn("split")
def _split(sep: Any, s: Any) -> dict[str, str]:
    return {f"_{i}": part for i, part in enumerate(_split_list(sep, s))}


@fn("list")
def _list(*items: Any) -> list[Any]:
    return list(items)


@fn("first")
def _first(items: Any) -> Any:
    return items[0] if isinstance(items, list | tuple) and items else None


@fn("last")
def _last(items: Any) -> Any:
    return items[-1] if isinstance(items, list | tuple) and items else None


@fn("has")
def _has(needle: Any, items: Any) -> bool:
    return isinstance(items, list | tuple) and needle in items


@fn("dict")
def _dict(*pairs: Any) -> dict[str, Any]:
    out = {}
    for i in range(0, len(pairs), 2):
        out[_str(pairs[i])] = pairs[i + 1] if i + 1 < len(pairs) else ""
    return out


@fn("get")
def _get(d: Any, key: Any) -> Any:
    if isinstance(d, dict) and not isinstance(d, GoStruct):
        return d.get(_str(key), "")
    return ""


@fn("default")
def _default(d: Any, *given: Any) -> Any:
    if not given or _empty(given[0]):
        return d
    return given[0]


@fn("empty")
def _is_empty(value: Any) -> bool:
    return _empty(value)


@fn("coalesce")
def _coalesce(*args: Any) -> Any:
    for a in args:
        if not _empty(a):
            return a
    return None


@fn("ternary")
def _ternary(vt: Any, vf: Any, cond: Any) -> Any:
    return vt if truth(cond) else vf


@fn("toJson")
def _to_json(value: Any) -> str:
    def plain(v: Any) -> Any:
        if v is MISSING:
            return None
        if isinstance(v, GoTime):
            return v.value.isoformat()
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        return v

    return _cap(json.dumps(plain(value), ensure_ascii=False, separators=(",", ":")))


# --- dates ------------------------------------------------------------------------------


def _time(value: Any, env: Env) -> datetime:
    if isinstance(value, GoTime):
        return value.value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=env.clock().tzinfo)
    return env.clock()  # Sprig formats "now" for anything else


@fn("now", env=True)
def _now(env: Env) -> GoTime:
    return GoTime(env.clock())


@fn("date", env=True)
def _date_fmt(env: Env, layout: Any, value: Any) -> str:
    return format_time(_time(value, env), _str(layout))


@fn("dateInZone", env=True)
def _date_in_zone(env: Env, layout: Any, value: Any, zone: Any) -> str:
    try:
        tz = ZoneInfo(_str(zone) or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")  # Sprig falls back to UTC on an unknown zone
    return format_time(_time(value, env).astimezone(tz), _str(layout))
