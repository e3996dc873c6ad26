"""Which template language a source is written in, and one compiled part of it.

stmails reads two: listmonk's Go templates ({{ .Subscriber.Name }}) and its
own Django-syntax ones ({{ subscriber.name }}). The rule, per source
(docs/campaigns/templating.md "Which language"):

1. `{%` or `{#` anywhere: Django.
2. Else Go when `@TrackLink` appears, or an action uses Go's trim markers or
   a comment, starts with `.`, `$`, `(` or a quote, starts with a Go keyword
   (template if range with define block end else ...) or a listmonk function
   (UnsubscribeURL, TrackLink, Date, Safe, L ...), or starts with any other
   Go/Sprig function followed by arguments (`{{ lower .Subscriber.Name }}`).
3. Else Django (this covers sources without any action: Django keeps HTML
   comments, which Go's html/template would drop).

Pure: strings in, strings out; no ORM, no network.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from typing import Any

from django.template import Context, Engine
from django.template.base import Template, TextNode, Variable, VariableNode
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from campaigns.gotemplate import FUNCS, Env, GoStruct, GoTemplate, GoTime, SafeHTML

GO, DJANGO = "go", "django"
GO_KEYWORDS = {"template", "if", "range", "with", "define", "block", "end", "else",
               "break", "continue"}  # fmt: skip
LISTMONK_FUNCS = {"UnsubscribeURL", "ManageURL", "MessageURL", "OptinURL", "TrackView",
                  "TrackLink", "Date", "Safe", "L"}  # fmt: skip
_ACTION = re.compile(r"\{\{(-?)(.*?)(-?)\}\}", re.S)
_GO_OPENING = re.compile(r"\{\{-?\s*(?:[.$(]|/\*)")  # even when never closed


def dialect(source: str) -> str:
    if "{%" in source or "{#" in source:
        return DJANGO
    if "@TrackLink" in source or first_go_action(source) is not None:
        return GO
    return DJANGO


def first_go_action(source: str) -> re.Match[str] | None:
    """The first action that only Go's syntax reads (rule 2 above)."""
    for m in _ACTION.finditer(source):
        inner = m.group(2).strip()
        if (
            m.group(1)
            or m.group(3)
            or inner.startswith(("/*", ".", "$", "(", '"', "`"))
        ):
            return m
        words = inner.split()
        if not words:
            continue
        head = re.split(r"[.|:]", words[0], maxsplit=1)[0]
        if head in GO_KEYWORDS or head in LISTMONK_FUNCS:
            return m
        if head in FUNCS and len(words) > 1 and "|" not in words[0]:
            return m
    return _GO_OPENING.search(source)  # "{{ .X" never closed is Go too


@cache
def content_engine(*, debug: bool = False) -> Engine:
    """The Django engine for admin-written content (campaigns, templates, tx).

    Not the site's engine: that one loads files ({% include "settings/..." %}
    would print the admin's own pages into a mail) and every installed tag
    library. This one has Django's built-in tags and filters only, and its
    loader knows no files. debug=True only to check templates: syntax errors
    then carry their line.
    """
    return Engine(
        dirs=[],
        app_dirs=False,
        loaders=[("django.template.loaders.locmem.Loader", {})],
        libraries={},
        debug=debug,
        autoescape=True,
    )


def compile_django(source: str) -> Template:
    """Raises django.template.TemplateSyntaxError on bad syntax."""
    return content_engine().from_string(source)


class Part:
    """One source (subject, body, wrapper or altbody), compiled in its dialect.

    html: whether values are escaped (html/template, Django autoescape).
    content: for a Go campaign template whose body is Go too, the body: it
    becomes the template's "content", as in listmonk.
    """

    def __init__(self, source: str, *, html: bool, content: str | None = None):
        self.dialect = dialect(source)
        self.html = html
        self.go: GoTemplate | None = None
        self.django: Template | None = None
        self.pieces: list[str | list[str]] | None = None
        if self.dialect == GO:
            self.go = GoTemplate(source, html=html, content=content)
        else:
            self.django = compile_django(source)
            self.pieces = _text_and_variables(self.django)

    def render(self, ctx: dict[str, Any], go: GoInput | None, content: str = "") -> str:
        if self.go is not None:
            assert go is not None  # noqa: S101
            env = dataclasses.replace(go.env, content=content) if content else go.env
            return self.go.render(go.data, env)
        assert self.django is not None  # noqa: S101
        if content:
            ctx = dict(ctx, content=mark_safe(content))  # noqa: S308 (escaped already)
        if self.pieces is not None:
            out = _fill(self.pieces, ctx, self.html)
            if out is not None:
                return out
        return self.django.render(Context(ctx, autoescape=self.html))


def _text_and_variables(template: Template) -> list[str | list[str]] | None:
    """A template made only of text and plain {{ a.b.c }} (no tags, filters,
    literals or translations), as its text pieces and lookup paths; None
    otherwise. Most campaign bodies are such: _fill renders them without
    Django's machinery, with the same result."""
    pieces: list[str | list[str]] = []
    for node in template.nodelist:
        if isinstance(node, TextNode):
            pieces.append(node.s)
            continue
        if not isinstance(node, VariableNode):
            return None
        expression = node.filter_expression
        var = expression.var
        if (
            expression.filters
            or not isinstance(var, Variable)
            or var.literal is not None
            or var.translate
            or not var.lookups
        ):
            return None
        pieces.append(list(var.lookups))
    return pieces


def _fill(
    pieces: list[str | list[str]], ctx: Mapping[str, Any], html: bool
) -> str | None:
    """The template's output when every path leads through dict keys to a
    string (what Django would print: escaped unless safe, under autoescape);
    None for anything else (a number, a date, a missing key, an object), which
    Django then renders itself."""
    out = []
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
            continue
        value: Any = ctx
        for key in piece:
            if type(value) is not dict or key not in value:
                return None
            value = value[key]
        if not isinstance(value, str):
            return None
        out.append(conditional_escape(value) if html else value)
    return "".join(out)


# --- listmonk's objects from the render context ----------------------------------------


def go_json(value: Any) -> Any:
    """A JSON value as Go decodes it into interface{}: numbers are float64."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): go_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [go_json(v) for v in value]
    return str(value)


def _name_part(name: str, last: bool) -> str:
    # listmonk: the first (last) space-separated chunk longer than 2 bytes,
    # else the whole name.
    chunks = name.split(" ")
    for chunk in reversed(chunks) if last else chunks:
        if len(chunk.encode("utf-8")) > 2:
            return chunk
    return name


def _time(value: Any) -> Any:
    return GoTime(value) if isinstance(value, datetime) else None


class GoInput:
    """The data (.Subscriber, .Campaign, .Tx) and Env of one message."""

    __slots__ = ("data", "env")

    def __init__(self, ctx: Mapping[str, Any], clock: Callable[[], datetime]):
        sub = ctx.get("subscriber") or {}
        camp = ctx.get("campaign") or {}
        name = str(sub.get("name") or "")
        self.data = GoStruct("manager.CampaignMessage", {
            "Subscriber": GoStruct("models.Subscriber", {
                "UUID": str(sub.get("uuid") or ""), "Email": str(sub.get("email") or ""),
                "Name": name, "FirstName": _name_part(name, False),
                "LastName": _name_part(name, True), "Status": str(sub.get("status") or ""),
                "Attribs": go_json(sub.get("attribs") or {}),
                "CreatedAt": _time(sub.get("created_at")),
                "UpdatedAt": _time(sub.get("updated_at")),
            }),
            "Campaign": GoStruct("models.Campaign", {
                "UUID": str(camp.get("uuid") or ""), "Name": str(camp.get("name") or ""),
                "Subject": str(camp.get("subject") or ""),
                "FromEmail": str(camp.get("from_email") or ""),
            }),
            "Tx": GoStruct("models.TxMessage", {"Data": go_json(ctx.get("tx_data") or {})}),
        })  # fmt: skip
        links = ctx.get("links")
        self.env = Env(
            unsubscribe=getattr(links, "unsubscribe", "")
            or ctx.get("unsubscribe_url", ""),
            message=getattr(links, "message", ""),
            optin=getattr(links, "optin", ""),
            view_pixel=getattr(links, "view_pixel", ""),
            track_link=getattr(links, "track_link", None),
            clock=clock,
        )


def track_view_html(view_pixel: str) -> SafeHTML:
    """What {{ TrackView }} / {{ track_view }} insert: listmonk's pixel."""
    return FUNCS["TrackView"].call(Env(view_pixel=view_pixel))
