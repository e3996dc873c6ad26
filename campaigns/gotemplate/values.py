"""Go values as Python sees them, and how Go prints them (fmt's %v, time layouts).

A template only ever sees what campaigns.rendering hands it: GoStruct (a
listmonk struct such as Subscriber), dicts (Go maps), lists, str, int, float,
bool, None, GoTime and SafeHTML. Nothing else reaches a template, so there is
no Python attribute to reach for.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any


class Missing:
    """A missing map key (Go's invalid reflect.Value): text/template prints
    "<no value>", html/template prints nothing."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<no value>"

    def __bool__(self) -> bool:
        return False


MISSING = Missing()


class SafeHTML(str):
    """template.HTML: markup that html/template inserts unescaped."""

    __slots__ = ()


class GoStruct(dict):
    """A Go struct: reading a field it lacks is an error (a map's is not)."""

    __slots__ = ("go_type",)

    def __init__(self, go_type: str, fields: dict[str, Any]):
        super().__init__(fields)
        self.go_type = go_type


class GoTime:
    """time.Time (and listmonk's null.Time: .Time and .Valid work too)."""

    __slots__ = ("value",)

    def __init__(self, value: datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoTime) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        v = self.value
        frac = f"{v.microsecond:06d}".rstrip("0")
        return (
            v.strftime("%Y-%m-%d %H:%M:%S")
            + (f".{frac}" if frac else "")
            + " "
            + format_time(v, "-0700 MST")
        )


def go_type(value: Any) -> str:
    if isinstance(value, GoStruct):
        return value.go_type
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list | tuple):
        return "[]interface {}"
    if isinstance(value, GoTime):
        return "time.Time"
    return "interface {}"


# --- fmt %v --------------------------------------------------------------------------


def go_float(f: float) -> str:
    """strconv.FormatFloat(f, 'g', -1, 64), which %v uses: shortest digits,
    exponent form below 1e-4 and from 1e6 up: 1e+06, 1.5e+07, 123456."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if math.copysign(1, f) < 0 else "0"
    digits, exp = _shortest(f)
    if exp < -4 or exp >= 6:
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        sign = "-" if f < 0 else ""
        return f"{sign}{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    text = f"{abs(f):.{max(0, len(digits) - exp - 1)}f}"
    return ("-" if f < 0 else "") + text


def _shortest(f: float) -> tuple[str, int]:
    rep = repr(abs(f))  # Python's repr is the shortest round-trip form
    m = re.match(r"^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$", rep)
    assert m is not None  # noqa: S101
    whole, frac, e = m.group(1), m.group(2) or "", int(m.group(3) or 0)
    digits = (whole + frac).lstrip("0")
    lead_zeros = len(whole + frac) - len((whole + frac).lstrip("0"))
    exp = len(whole) - 1 + e - lead_zeros
    return digits.rstrip("0") or "0", exp


def sprint_value(value: Any) -> str:
    """fmt.Sprint of one value (%v)."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "<nil>"
    if value is MISSING:
        return "<no value>"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, GoTime):
        return str(value)
    if isinstance(value, GoStruct):
        return "{" + " ".join(sprint_value(v) for v in value.values()) + "}"
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: str(kv[0]))
        return "map[" + " ".join(f"{k}:{sprint_value(v)}" for k, v in items) + "]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(sprint_value(v) for v in value) + "]"
    return "<" + type(value).__name__ + ">"


def sprint(*args: Any) -> str:
    """fmt.Sprint: a space between operands when neither is a string."""
    out: list[str] = []
    prev_string = True
    for i, arg in enumerate(args):
        is_string = isinstance(arg, str)
        if i and not is_string and not prev_string:
            out.append(" ")
        out.append(sprint_value(arg))
        prev_string = is_string
    return "".join(out)


_VERB = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*)?)?([a-zA-Z%])")


def sprintf(fmt: str, *args: Any) -> str:
    """fmt.Sprintf for the verbs templates use (%s %v %d %f %q %x %t %%)."""
    out: list[str] = []
    pos = 0
    arg_i = 0
    for m in _VERB.finditer(fmt):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        flags, width, prec, verb = m.group(1), m.group(2), m.group(3), m.group(4)
        if verb == "%":
            out.append("%")
            continue
        if arg_i >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        arg = args[arg_i]
        arg_i += 1
        out.append(_pad(_verb(verb, arg, prec, flags), width, flags))
    out.append(fmt[pos:])
    if arg_i < len(args):
        extra = ", ".join(f"{go_type(a)}={sprint_value(a)}" for a in args[arg_i:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _verb(verb: str, arg: Any, prec: str | None, flags: str) -> str:
    number = isinstance(arg, int | float) and not isinstance(arg, bool)
    if verb in "sv":
        text = sprint_value(arg)
        return text[: int(prec)] if prec and verb == "s" else text
    if verb == "d" and isinstance(arg, int) and not isinstance(arg, bool):
        return ("+" if "+" in flags and arg >= 0 else "") + str(arg)
    if verb in "feEgG" and number:
        if verb in "gG" and prec is None:
            return go_float(float(arg))
        return f"{float(arg):{'+' if '+' in flags else ''}.{int(prec or 6)}{verb}}"
    if verb == "q" and isinstance(arg, str):
        return quote_go(arg)
    if verb in "xX" and isinstance(arg, int) and not isinstance(arg, bool):
        return format(arg, verb)
    if verb in "xX" and isinstance(arg, str):
        return arg.encode().hex() if verb == "x" else arg.encode().hex().upper()
    if verb == "t" and isinstance(arg, bool):
        return sprint_value(arg)
    if verb == "c" and isinstance(arg, int):
        return chr(arg) if 0 <= arg < 0x110000 else "\ufffd"
    return f"%!{verb}({go_type(arg)}={sprint_value(arg)})"


def _pad(text: str, width: str | None, flags: str) -> str:
    if not width or width == "*":
        return text
    if "-" in flags:
        return text.ljust(int(width))
    if "0" in flags and re.fullmatch(r"[-+]?[\d.]+", text):
        sign = text[0] if text[0] in "+-" else ""
        return sign + text[len(sign) :].rjust(int(width) - len(sign), "0")
    return text.rjust(int(width))


def quote_go(s: str) -> str:
    """strconv.Quote: a double-quoted Go string literal."""
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif not ch.isprintable() and code > 0x7F:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


# --- time layouts --------------------------------------------------------------------

_LAYOUT = re.compile(
    r"January|Jan|Monday|Mon|MST|2006|Z07:00:00|Z07:00|Z0700|Z07|-07:00:00|-07:00|"
    r"-0700|-07|002|01|02|03|04|05|06|15|PM|pm|_2|[.,](?:0+|9+)(?!\d)|1|2|3|4|5"
)
_MONTHS = ["January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December"]  # fmt: skip
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _zone(t: datetime, colon: bool, seconds: bool, z: bool, hours_only: bool) -> str:
    off = t.utcoffset() or timedelta(0)
    total = int(off.total_seconds())
    if z and total == 0:
        return "Z"
    sign = "-" if total < 0 else "+"
    total = abs(total)
    hh, mm, ss = total // 3600, total // 60 % 60, total % 60
    if hours_only:
        return f"{sign}{hh:02d}"
    sep = ":" if colon else ""
    return f"{sign}{hh:02d}{sep}{mm:02d}" + (f"{sep}{ss:02d}" if seconds else "")


def format_time(t: datetime, layout: str) -> str:
    """time.Time.Format(layout) with Go's reference time Mon Jan 2 15:04:05 MST 2006."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)

    def chunk(m: re.Match[str]) -> str:
        s = m.group(0)
        fixed = {
            "January": _MONTHS[t.month - 1], "Jan": _MONTHS[t.month - 1][:3],
            "Monday": _DAYS[t.weekday()], "Mon": _DAYS[t.weekday()][:3],
            "2006": f"{t.year:04d}", "06": f"{t.year % 100:02d}",
            "01": f"{t.month:02d}", "1": str(t.month), "02": f"{t.day:02d}",
            "_2": f"{t.day:2d}", "2": str(t.day), "002": f"{t.timetuple().tm_yday:03d}",
            "15": f"{t.hour:02d}", "03": f"{(t.hour % 12) or 12:02d}",
            "3": str((t.hour % 12) or 12), "04": f"{t.minute:02d}", "4": str(t.minute),
            "05": f"{t.second:02d}", "5": str(t.second),
            "PM": "PM" if t.hour >= 12 else "AM", "pm": "pm" if t.hour >= 12 else "am",
        }  # fmt: skip
        if s in fixed:
            return fixed[s]
        if s == "MST":
            name = t.tzname() or ""
            return (
                name
                if name and name[0] not in "+-"
                else _zone(t, False, False, False, False)
            )
        if s.startswith(("Z", "-")):
            z = s[0] == "Z"
            body = s[1:]
            return _zone(t, ":" in body, body.count(":") == 2 or len(body) == 6,
                         z, len(body) == 2)  # fmt: skip
        # Fractional seconds: ".000" pads, ".999" trims trailing zeros.
        digits = len(s) - 1
        frac = f"{t.microsecond:06d}000"[:digits]
        if s[1] == "9":
            frac = frac.rstrip("0")
            return (s[0] + frac) if frac else ""
        return s[0] + frac

    return _LAYOUT.sub(chunk, layout)
