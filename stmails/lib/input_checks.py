"""Checks every untrusted value passes before it reaches a parser or the database.

PostgreSQL refuses NUL characters in text and json, and lone surrogates cannot be
encoded as UTF-8; both used to surface as a DataError (HTTP 500). Python's json
recurses per nesting level, and int() accepts any length and non-ASCII digits
("٣"), while the databases store 64-bit integers. One place decides what is
acceptable, and says which field was not.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# Deep enough for any real settings map or meta object; json.loads would recurse
# about 1,000 levels before failing.
MAX_JSON_DEPTH = 64
# The largest signed 64-bit integer: SQLite and PostgreSQL's bigint.
MAX_ID = 2**63 - 1
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
# In JSON text: a raw NUL or surrogate, or an escape that could decode to one
# (\u0000, \uD800-\uDFFF; a pair is fine but is left to the walk).
_MAYBE_BAD_IN_JSON = re.compile(r"[\x00\ud800-\udfff]|\\u(?:0000|[dD][89a-fA-F])")
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


class InvalidInput(ValueError):
    """A value that is not acceptable; `field` names where it was."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


def bad_character(text: str) -> str | None:
    """Why `text` cannot be stored (NUL or a lone surrogate), or None."""
    found = _BAD_CHARACTER.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "must not contain NUL characters"
    return "must not contain unpaired surrogate characters"


def check_text(text: str, field: str) -> str:
    problem = bad_character(text)
    if problem:
        raise InvalidInput(field, problem)
    return text


def _child(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def check_tree(data: Any, root: str = "") -> Any:
    """Walks parsed JSON without recursion: depth, keys and strings. Returns `data`."""
    stack: list[tuple[Any, str, int]] = [(data, root, 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            check_text(value, path)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise InvalidInput(path, f"is nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, dict):
            for key, item in value.items():
                check_text(key, _child(path, key))
                stack.append((item, _child(path, key), depth + 1))
        else:
            for i, item in enumerate(value):
                stack.append((item, _child(path, i), depth + 1))
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text[:40]} is beyond a float's range")
    return value


def loads_json(text: str | bytes, field: str = "", *, finite: bool = False) -> Any:
    """json.loads that refuses NaN/Infinity, deep nesting, NUL and lone surrogates.

    `finite`: also refuse numbers too big for a float (json reads 1e400 as
    infinity): text that is stored as it came, not serialised again, must
    hold nothing the parsed value would not (webhooks.views).
    """
    try:
        data = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float if finite else None,
        )
    except RecursionError:
        raise InvalidInput(
            field, f"is nested deeper than {MAX_JSON_DEPTH} levels"
        ) from None
    except ValueError as err:
        raise InvalidInput(field, f"is not valid JSON ({err})") from None
    if isinstance(text, str) and _plainly_acceptable(text):
        return data
    return check_tree(data, field)


def _plainly_acceptable(text: str) -> bool:
    """Whether the text alone shows its parsed value needs no walk: fewer
    brackets than the depth limit, and nothing that is or could decode to a NUL
    or a surrogate. A scan of the text is a fraction of the walk's cost for
    what nearly every request sends; False only means "walk it"."""
    return (
        text.count("{") + text.count("[") <= MAX_JSON_DEPTH
        and _MAYBE_BAD_IN_JSON.search(text) is None
    )


def parse_id(raw: Any, field: str) -> int:
    """A database id from a path, query string or JSON: 1 .. 2**63-1, ASCII digits only."""
    if isinstance(raw, bool):
        raise InvalidInput(field, f"invalid id {raw!r}")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _ASCII_DIGITS.fullmatch(raw.strip()):
        value = int(raw.strip())
    else:
        shown = raw if not isinstance(raw, str) or len(raw) <= 40 else raw[:40] + "…"
        raise InvalidInput(field, f"invalid id {shown!r}")
    if not 0 <= value <= MAX_ID:
        raise InvalidInput(field, f"must be between 0 and {MAX_ID}")
    return value


def parse_bounded_int(raw: str, field: str, *, minimum: int, maximum: int) -> int:
    """A decimal number in ASCII digits within [minimum, maximum] (linear in len(raw))."""
    text = raw.strip()
    sign = -1 if text.startswith("-") else 1
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or not digits.isascii() or not digits.isdigit():
        raise InvalidInput(field, "must be a number")
    if len(digits.lstrip("0")) > len(str(max(abs(minimum), abs(maximum)))):
        raise InvalidInput(field, f"must be between {minimum} and {maximum}")
    value = sign * int(digits)
    if not minimum <= value <= maximum:
        raise InvalidInput(field, f"must be between {minimum} and {maximum}")
    return value
