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
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from campaigns.gotemplate.errors import GoTemplateError
from campaigns.gotemplate.escapers import (
    FAILSAFE,
    attr_escaper,
    comment_escaper,
    css_filter,
    html_escaper,
    js_str_escaper,
    js_val_escaper,
    nospace_escaper,
    stringify,
    url_escaper,
    url_filter,
    url_normalizer,
)  # fmt: skip
from campaigns.gotemplate.parser import Action, Branch, Call, Node, Text

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


def name_filter(value: Any) -> str:
    text = stringify(value).lower()
    if not re.fullmatch(r"[a-z0-9-]+", text) or _attr_kind(text) != "":
        return FAILSAFE
    return text


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
