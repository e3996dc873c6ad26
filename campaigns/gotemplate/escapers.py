"""html/template's escapers: a value in, the text Go would write out.

Byte for byte where it matters: `&#34;`, `&#39;`, `&#43;`, lower-case `%xx`
in URLs, "#ZgotmplZ" for unsafe URL schemes, "ZgotmplZ" for unsafe CSS and
attribute names. escaping.py decides which of them an action gets.
"""

from __future__ import annotations

import json
import re
from typing import Any

from campaigns.gotemplate.values import MISSING, SafeHTML, sprint_value

_HTML = {0: "\ufffd", ord('"'): "&#34;", ord("&"): "&amp;", ord("'"): "&#39;",
         ord("+"): "&#43;", ord("<"): "&lt;", ord(">"): "&gt;"}  # fmt: skip
_HTML_NORM = {k: v for k, v in _HTML.items() if k != ord("&")}
_NOSPACE_EXTRA = {ord("\t"): "&#9;", ord("\n"): "&#10;", ord("\v"): "&#11;",
                  ord("\f"): "&#12;", ord("\r"): "&#13;", ord(" "): "&#32;",
                  ord("="): "&#61;", ord("`"): "&#96;", 0: "&#xfffd;"}  # fmt: skip
_NOSPACE = {**_HTML, **_NOSPACE_EXTRA}
_NOSPACE_NORM = {**_HTML_NORM, **_NOSPACE_EXTRA}
_TAG = re.compile(r"<[^>]*>?|<!--.*?-->", re.S)
FAILSAFE = "ZgotmplZ"


def stringify(value: Any) -> str:
    if value is None or value is MISSING:
        return ""  # html/template prints nothing for nil (Go issue 25875)
    return sprint_value(value)


def html_escaper(value: Any) -> str:
    if isinstance(value, SafeHTML):
        return str(value)
    return stringify(value).translate(_HTML)


def attr_escaper(value: Any) -> str:
    if isinstance(value, SafeHTML):
        return _TAG.sub("", value).translate(_HTML_NORM)
    return stringify(value).translate(_HTML)


def nospace_escaper(value: Any) -> str:
    if isinstance(value, SafeHTML):
        return _TAG.sub("", value).translate(_NOSPACE_NORM)
    text = stringify(value)
    return text.translate(_NOSPACE) if text else FAILSAFE


def url_filter(value: Any) -> str:
    text = stringify(value)
    scheme, colon, _rest = text.partition(":")
    if (
        colon
        and "/" not in scheme
        and scheme.lower() not in ("http", "https", "mailto")
    ):
        return "#" + FAILSAFE
    return text


# Go's processURLOnto: percent-encode each UTF-8 byte outside the allowed set
# (lower-case hex); the normaliser keeps reserved characters and valid %xx.
_URL_NORM_BAD = re.compile(r"[^A-Za-z0-9\-._~!#$&*+,/:;=?@\[\]%]|%(?![0-9a-fA-F]{2})")
_URL_ESC_BAD = re.compile(r"[^A-Za-z0-9\-._~]")


def _url_process(text: str, norm: bool) -> str:
    raw = text.encode("utf-8").decode("latin-1")  # one char per byte
    return (_URL_NORM_BAD if norm else _URL_ESC_BAD).sub(
        lambda m: f"%{ord(m.group(0)[0]):02x}", raw
    )


def url_normalizer(value: Any) -> str:
    return _url_process(stringify(value), True)


def url_escaper(value: Any) -> str:
    return _url_process(stringify(value), False)


_JS_STR = {0: "\\u0000", ord("\t"): "\\t", ord("\n"): "\\n", ord("\v"): "\\u000b",
           ord("\f"): "\\f", ord("\r"): "\\r", ord('"'): "\\u0022", ord("&"): "\\u0026",
           ord("'"): "\\u0027", ord("+"): "\\u002b", ord("/"): "\\/", ord("<"): "\\u003c",
           ord(">"): "\\u003e", ord("\\"): "\\\\", ord("`"): "\\u0060",
           0x2028: "\\u2028", 0x2029: "\\u2029"}  # fmt: skip


def js_str_escaper(value: Any) -> str:
    return stringify(value).translate(_JS_STR)


def _plain(value: Any) -> Any:
    """A Go value as JSON would marshal it (html/template JSON-encodes values
    written into scripts)."""
    if value is MISSING:
        return None
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return stringify(value)


def js_val_escaper(value: Any) -> str:
    if value is None or value is MISSING:
        return " null "
    if isinstance(value, bool | int | float) and not isinstance(value, SafeHTML):
        return " " + sprint_value(value) + " "
    text = json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"))
    for ch, rep in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(ch, rep)
    return text


def css_filter(value: Any) -> str:
    text = stringify(value)
    low = text.lower()
    if (
        re.search(r"[\x00\"'()/;@\[\\\]`{}<>]", text)
        or "expression" in low
        or ("mozbinding" in low)
    ):
        return FAILSAFE
    return text


def comment_escaper(value: Any) -> str:
    return ""
