"""Go's text/template and html/template, as listmonk uses them, in pure Python.

    tpl = GoTemplate(source, html=True)     # parse, check, escape: once
    tpl.render(data, env)                   # per message: fast, sandboxed

Modules: lexer (source -> actions), parser (-> tree), escaping (html/template's
contexts), evaluator (runs a tree), values (Go printing and time layouts),
functions and sprig (what a template can call). Errors are GoTemplateError
with the line and the action as written. docs/campaigns/templating.md
describes the language for template authors.
"""

from __future__ import annotations

import re
from typing import Any

from campaigns.gotemplate import sprig  # noqa: F401 (registers the Sprig functions)
from campaigns.gotemplate.errors import GoTemplateError
from campaigns.gotemplate.escaping import escape, no_escape
from campaigns.gotemplate.evaluator import execute
from campaigns.gotemplate.functions import FUNCS, Env
from campaigns.gotemplate.parser import Branch, Call, Node, Slot, parse
from campaigns.gotemplate.values import MISSING, GoStruct, GoTime, SafeHTML

__all__ = [
    "FUNCS", "MISSING", "Env", "GoStruct", "GoTemplate", "GoTemplateError", "GoTime",
    "SafeHTML", "expand_shorthands",
]  # fmt: skip

# listmonk rewrites https://url@TrackLink (WYSIWYG editors mangle the quotes of
# {{ TrackLink "..." }} inside href="...") before parsing; the same URL charset.
_TRACKLINK_SHORTHAND = re.compile(
    r"(https?://[\w\-.~!#$&'()*+,/:;=?@\[\]%]*)@TrackLink"
)


def expand_shorthands(source: str) -> str:
    return _TRACKLINK_SHORTHAND.sub(
        lambda m: '{{ TrackLink "' + m.group(1) + '" }}', source
    )


class GoTemplate:
    """One compiled template. html=True is html/template (contextual
    escaping, HTML comments dropped); html=False is text/template.

    content: the campaign body, when this is a campaign template: it becomes
    the "content" template, as listmonk adds the body's tree to the
    template's. Without it, {{ template "content" . }} inserts Env.content.
    """

    def __init__(self, source: str, *, html: bool = True, content: str | None = None):
        try:
            self._compile(source, html, content)
        except RecursionError:
            raise GoTemplateError("template nests too deeply") from None

    def _compile(self, source: str, html: bool, content: str | None) -> None:
        main, templates = parse(expand_shorthands(source), FUNCS)
        # listmonk looks for the placeholder anywhere, defined blocks included.
        self.content_calls = count_calls(main, "content") + sum(
            count_calls(tree, "content") for tree in templates.values()
        )
        if content is not None:
            body, body_defines = parse(expand_shorthands(content), FUNCS)
            templates.update(body_defines)
            templates["content"] = body
        else:
            templates.setdefault("content", [Slot()])
        self.html = html
        self.templates = (escape if html else no_escape)(main, templates)
        self.main = main

    def render(self, data: Any, env: Env | None = None) -> str:
        return execute(self.main, self.templates, data, env or Env(), html=self.html)


def count_calls(nodes: list[Node], name: str) -> int:
    """How many {{ template "name" }} actions a tree has (not counting the
    templates it calls)."""
    count = 0
    for node in nodes:
        if isinstance(node, Branch):
            count += count_calls(node.body, name) + count_calls(node.else_body, name)
        elif isinstance(node, Call) and node.name == name:
            count += 1
    return count


_ = GoStruct, GoTime, SafeHTML, MISSING
