"""html/template's contextual escaping, for the contexts e-mail HTML has.

escape() walks a parsed tree once at compile time, follows the HTML around
each action (text, attribute value, URL attribute, <script>, <style>, HTML
comment) and stores on the action the escapers Go would append to its
pipeline. HTML comments in the template text are dropped, as Go drops them.
The escapers keep Go's output byte for byte where it matters: `&#34;`, `&#39;`,
`&#43;`, lower-case `%xx` in URLs, "#ZgotmplZ" for unsafe URL schemes.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from campaigns.gotemplate.errors import GoTemplateError
from campaigns.gotemplate.parser import Action, Branch, Call, Node, Text
from campaigns.gotemplate.values import MISSING, SafeHTML, sprint_value

# --- escapers (value -> str) -----------------------------------------------------------

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


def js_val_escaper(value: Any) -> str:
    if value is None or value is MISSING:
        return " null "
    if isinstance(value, bool | int | float) and not isinstance(value, SafeHTML):
        return " " + sprint_value(value) + " "
    if isinstance(value, str):
        text = json.dumps(str(value))
    else:
        text = json.dumps(stringify(value))
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


def name_filter(value: Any) -> str:
    text = stringify(value).lower()
    if not re.fullmatch(r"[a-z0-9-]+", text) or _attr_kind(text) != "":
        return FAILSAFE
    return text


def comment_escaper(value: Any) -> str:
    return ""


# --- contexts -------------------------------------------------------------------------


class Ctx(NamedTuple):
    state: str = "text"  # text tag after_name before_value attr comment raw js_str
    element: str = ""  # script style textarea title, inside which text is raw
    attr: str = ""  # "" url js css: the kind of the attribute being written
    delim: str = ""  # '"', "'", " " (unquoted) for attr; the quote for js_str
    url_part: int = 0  # 0 nothing yet, 1 before "?"/"#", 2 query or fragment


TEXT = Ctx()
RAW_ELEMENTS = ("script", "style", "textarea", "title")
URL_ATTRS = {"action", "archive", "background", "cite", "classid", "codebase", "data",
             "formaction", "href", "icon", "longdesc", "manifest", "poster", "profile",
             "src", "usemap", "xmlns"}  # fmt: skip


def _attr_kind(name: str) -> str:
    name = name.lower().removeprefix("data-")
    if ":" in name:
        name = name.split(":", 1)[1]
    if name.startswith("on"):
        return "js"
    if name == "style":
        return "css"
    if name in URL_ATTRS or any(k in name for k in ("src", "uri", "url")):
        return "url"
    return ""


def escapers_for(ctx: Ctx) -> tuple[Callable[[Any], str], ...]:
    s = ctx.state
    if s == "text":
        return (html_escaper,)
    if s == "comment":
        return (comment_escaper,)
    if s in ("tag", "after_name"):
        return (name_filter,)
    if s == "raw":
        if ctx.element == "script":
            return (js_val_escaper,)
        if ctx.element == "style":
            return (css_filter,)
        return (attr_escaper,)
    if s == "js_str":
        return (
            (js_str_escaper,)
            if ctx.element == "script"
            else (js_str_escaper, attr_escaper)
        )
    if s == "before_value":
        ctx = ctx._replace(state="attr", delim=" ")
    last = nospace_escaper if ctx.delim == " " else attr_escaper
    if ctx.attr == "url":
        first = (
            (url_filter, url_normalizer)
            if ctx.url_part == 0
            else ((url_normalizer,) if ctx.url_part == 1 else (url_escaper,))
        )
        return (*first, last)
    if ctx.attr == "js":
        return (js_val_escaper, last)
    if ctx.attr == "css":
        return (css_filter, last)
    return (last,)


_TAG_START = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)")


def transition(ctx: Ctx, text: str) -> tuple[Ctx, str]:
    """The context after `text`, and the text as html/template outputs it."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        s = ctx.state
        if s == "text":
            j = text.find("<", i)
            if j < 0:
                out.append(text[i:])
                break
            out.append(text[i:j])
            if text.startswith("<!--", j):
                ctx, i = ctx._replace(state="comment"), j + 4
                continue
            m = _TAG_START.match(text, j)
            if not m:
                out.append("<")
                i = j + 1
                continue
            out.append(m.group(0))
            name = m.group(2).lower()
            element = name if not m.group(1) and name in RAW_ELEMENTS else ""
            ctx, i = Ctx("tag", element), m.end()
        elif s == "comment":
            j = text.find("-->", i)
            if j < 0:
                break
            ctx, i = ctx._replace(state="text"), j + 3
        elif s in ("tag", "after_name"):
            if text[i] in " \t\r\n\f/":
                out.append(text[i])
                i += 1
            elif text[i] == ">":
                out.append(">")
                ctx = Ctx("raw", ctx.element) if ctx.element else TEXT
                i += 1
            elif text[i] == "=":
                out.append("=")
                ctx, i = ctx._replace(state="before_value"), i + 1
            else:
                m = re.compile(r"[^\s=>/]+").match(text, i)
                assert m is not None  # noqa: S101
                out.append(m.group(0))
                ctx, i = (
                    ctx._replace(state="after_name", attr=_attr_kind(m.group(0))),
                    m.end(),
                )
        elif s == "before_value":
            c = text[i]
            if c in " \t\r\n\f":
                out.append(c)
                i += 1
            elif c == ">":
                ctx = ctx._replace(state="tag")
            else:
                quoted = c in "\"'"
                if quoted:
                    out.append(c)
                    i += 1
                ctx = ctx._replace(state="attr", delim=c if quoted else " ", url_part=0)
        elif s == "attr":
            ends = re.compile(r"[\s>]" if ctx.delim == " " else re.escape(ctx.delim))
            m = ends.search(text, i)
            j = m.start() if m else n
            value = text[i:j]
            out.append(value)
            ctx = _in_value(ctx, value)
            i = j
            if m:
                if ctx.delim != " ":
                    out.append(ctx.delim)
                    i += 1
                ctx = ctx._replace(state="tag", attr="", delim="", url_part=0)
        else:  # raw element text or a JS string in it
            ctx, i = _raw(ctx, text, i, out)
    return ctx, "".join(out)


def _in_value(ctx: Ctx, value: str) -> Ctx:
    if ctx.attr == "url" and value:
        if "?" in value or "#" in value or ctx.url_part == 2:
            return ctx._replace(url_part=2)
        return ctx._replace(url_part=1)
    return ctx


def _raw(ctx: Ctx, text: str, i: int, out: list[str]) -> tuple[Ctx, int]:
    end = re.compile(r"</" + ctx.element + r"(?=[\s/>])", re.I).search(text, i)
    stop = end.start() if end else len(text)
    if ctx.element == "script":
        j = i
        while j < stop:
            c = text[j]
            if ctx.state == "js_str":
                if c == "\\":
                    j += 1
                elif c == ctx.delim:
                    ctx = ctx._replace(state="raw", delim="")
            elif c in "\"'`":
                ctx = ctx._replace(state="js_str", delim=c)
            j += 1
    out.append(text[i:stop])
    if end:
        out.append(end.group(0))
        return Ctx("tag"), end.end()
    return ctx, stop


# A pipeline ending in Go's own `html` or `urlquery` is not escaped twice:
# html/template lets it stand in for the equivalent contextual escaper.
_EQUIVALENT = {
    "html": (html_escaper, attr_escaper),
    "urlquery": (url_escaper, url_normalizer),
}


def _merge_predefined(node: Action, escapers: tuple[Any, ...]) -> tuple[Any, ...]:
    last = node.pipe.cmds[-1][0] if node.pipe.cmds else None
    if last is None or last.kind != "ident" or last.value not in _EQUIVALENT:
        return escapers
    same = _EQUIVALENT[last.value]
    return tuple(e for e in escapers if e not in same)


# --- the pass over the tree --------------------------------------------------------------


class _Escaper:
    def __init__(self, templates: dict[str, list[Node]]):
        self.source = templates
        self.out: dict[str, list[Node]] = {}
        self.ends: dict[str, Ctx] = {}

    def nodes(self, nodes: list[Node], ctx: Ctx) -> Ctx:
        for node in nodes:
            if isinstance(node, Text):
                ctx, node.text = transition(ctx, node.text)
            elif isinstance(node, Action):
                node.escapers = _merge_predefined(node, escapers_for(ctx))
                if ctx.state == "before_value":
                    # {{ }} right after "=" starts an unquoted value. As in Go,
                    # an action does not move a URL on to its next part.
                    ctx = ctx._replace(state="attr", delim=" ", url_part=0)
            elif isinstance(node, Branch):
                end = self.nodes(node.body, ctx)
                other = self.nodes(node.else_body, ctx)
                ctx = end if node.kind != "range" else other
            elif isinstance(node, Call):
                node.target = self.derive(node.name, ctx, node)
                ctx = self.ends[node.target]
        return ctx

    def derive(self, name: str, ctx: Ctx, call: Call) -> str:
        if name not in self.source:
            raise GoTemplateError(f'no such template "{name}"', line=call.line,
                                  expression=call.source)  # fmt: skip
        key = name if ctx == TEXT else f"{name}${'|'.join(map(str, ctx))}"
        if key not in self.out:
            tree = copy.deepcopy(self.source[name])
            self.out[key] = tree
            self.ends[key] = ctx  # a recursive call ends where it starts
            self.ends[key] = self.nodes(tree, ctx)
        return key


def escape(main: list[Node], templates: dict[str, list[Node]]) -> dict[str, list[Node]]:
    """Sets the escapers of every action for HTML output; returns the
    templates to execute, one copy per context a template is called in."""
    esc = _Escaper(templates)
    esc.nodes(main, TEXT)
    return esc.out


def no_escape(
    main: list[Node], templates: dict[str, list[Node]]
) -> dict[str, list[Node]]:
    """text/template: nothing is escaped; calls go to the templates by name."""
    missing: list[Call] = []

    def walk(nodes: list[Node]) -> None:
        for node in nodes:
            if isinstance(node, Branch):
                walk(node.body)
                walk(node.else_body)
            elif isinstance(node, Call):
                node.target = node.name
                if node.name not in templates:
                    missing.append(node)

    walk(main)
    for tree in templates.values():
        walk(tree)
    if missing:
        c = missing[0]
        raise GoTemplateError(
            f'no such template "{c.name}"', line=c.line, expression=c.source
        )
    return templates
