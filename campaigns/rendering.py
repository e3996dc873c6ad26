"""Campaign content rendering (pure: strings in, strings out; no ORM, no network).

A campaign's subject, body, alternative text and wrapper template are written
in listmonk's Go template language ({{ .Subscriber.Name }}, campaigns/gotemplate)
or in stmails' Django syntax ({{ subscriber.name }}); campaigns.dialects picks
the language per source. Compile once per campaign with `Renderer`, then
`render()` per subscriber: the sending engine renders thousands a second.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.template import TemplateSyntaxError
from django.template.base import Template
from django.utils import timezone
from django.utils.safestring import mark_safe

from campaigns.dialects import (
    GO,
    GoInput,
    Part,
    compile_django,
    content_engine,
    dialect,
    first_go_action,
    track_view_html,
)
from campaigns.gotemplate import GoTemplate, GoTemplateError
from campaigns.html_text import text_part_from_html
from campaigns.markdown_lite import markdown_to_html

__all__ = [
    "MailLinks", "Renderer", "Rendered", "TemplateError", "build_context", "check_template",
    "compile_template", "markdown_to_html", "text_part_from_html",
]  # fmt: skip

HTML_TYPES = ("richtext", "html", "markdown")
KINDS = ("body", "subject", "altbody", "campaign", "campaign_visual", "tx")


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str  # "" for plain-text campaigns
    text: str


class TemplateError(TemplateSyntaxError, ValueError):
    """A template that cannot be compiled or rendered, said where: the API
    answers 400 with str(error), the editor shows it beside the field.

    A TemplateSyntaxError too, so callers written for Django-only templates
    keep catching it. `part` says which source failed ("subject", "body",
    "altbody", "template") when a Renderer raised it.
    """

    def __init__(self, message: str, *, line: int | None = None, expression: str = ""):
        super().__init__(message)
        self.message = message
        self.line = line
        self.expression = expression
        self.part = ""

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        said = f"{self.expression}: " if self.expression else ""
        return f"{where}{said}{self.message}"


def _from_go(err: GoTemplateError, part: str = "") -> TemplateError:
    out = TemplateError(err.message, line=err.line, expression=err.expression)
    out.part = part
    return out


def _from_django(err: Exception, part: str = "") -> TemplateError:
    info = getattr(err, "template_debug", None) or {}
    out = TemplateError(
        str(err), line=info.get("line"), expression=info.get("during", "")
    )
    out.part = part
    return out


_CONTENT_DJANGO = re.compile(r"\{\{\s*content(\|safe)?\s*\}\}")


def check_template(source: str, *, kind: str = "body") -> None:
    """Raises TemplateError when `source` does not compile. kind: "body",
    "subject", "altbody", "campaign" (a campaign template: must place the
    content exactly once), "campaign_visual", "tx" (a transactional template).
    Go errors name the line and the action; Django errors the line where
    Django knows it."""
    if kind not in KINDS:
        raise ValueError(f"unknown template kind {kind!r}")
    html = kind not in ("subject", "altbody")
    if dialect(source) == GO:
        try:
            tpl = GoTemplate(source, html=html)
        except GoTemplateError as err:
            raise _from_go(err) from None
        found = tpl.content_calls
    else:
        try:
            content_engine(debug=True).from_string(source)
        except TemplateSyntaxError as err:
            raise _from_django(err) from None
        go = first_go_action(source)
        if go is not None:  # Django would print it as nothing
            raise TemplateError(
                "listmonk (Go) syntax in a template written in Django syntax (it has "
                "{% %} or {# #}); use one language",
                line=source.count("\n", 0, go.start()) + 1,
                expression=go.group(0)[:80],
            )
        found = len(_CONTENT_DJANGO.findall(source))
    if kind == "campaign" and found != 1:
        how = "does not contain it" if not found else f"contains it {found} times"
        raise TemplateError(
            'a campaign template must contain {{ template "content" . }} (or, in '
            f"Django syntax, {{{{ content }}}}) exactly once; this one {how}"
        )


def compile_template(source: str) -> Template:
    """A Django-syntax source compiled; raises TemplateSyntaxError on bad
    syntax. (Kept for callers that only speak Django; check_template knows
    both languages.)"""
    return compile_django(source)


@dataclass(frozen=True)
class MailLinks:
    """The per-recipient URLs a template can ask for. The caller (sender,
    tx, preview) builds them; rendering stays pure.

    unsubscribe: {{ UnsubscribeURL }} / {{ unsubscribe_url }}
    message: {{ MessageURL }} / {{ message_url }} ("view in browser"), "" when there is none
    optin: {{ OptinURL }} / {{ optin_url }}, "" when the subscriber has nothing to confirm
    view_pixel: the URL {{ TrackView }} / {{ track_view }} puts in an <img>; "" = tracking off
    track_link: {{ TrackLink "url" }} and url@TrackLink: url -> redirect URL;
        None = tracking off (links go out as they are)
    """

    unsubscribe: str = ""
    message: str = ""
    optin: str = ""
    view_pixel: str = ""
    track_link: Callable[[str], str] | None = field(default=None, compare=False)


def build_context(
    subscriber: Mapping[str, Any],
    campaign: Mapping[str, Any] | None = None,
    unsubscribe_url: str = "",
    *,
    links: MailLinks | None = None,
    tx_data: Mapping[str, Any] | None = None,
    site_name: str = "",
) -> dict[str, Any]:
    """The render context. subscriber: name, email, uuid, attribs, and for
    listmonk's .Subscriber also status, created_at (updated_at); campaign:
    uuid, name, subject, from_email. tx_data is listmonk's .Tx.Data.
    site_name (app.site_name) heads the shipped layouts.

    Django-syntax templates see subscriber, campaign, unsubscribe_url,
    manage_url, message_url, optin_url, track_view, tx_data and site_name; Go templates
    see .Subscriber, .Campaign and .Tx built from the same values."""
    links = links or MailLinks(unsubscribe=unsubscribe_url)
    unsub = links.unsubscribe or unsubscribe_url
    manage = (unsub + ("&" if "?" in unsub else "?") + "manage=true") if unsub else ""
    return {
        "subscriber": {
            "name": subscriber.get("name", ""),
            "email": subscriber.get("email", ""),
            "uuid": str(subscriber.get("uuid", "")),
            "attribs": subscriber.get("attribs") or {},
            "status": subscriber.get("status", ""),
            "created_at": subscriber.get("created_at"),
            "updated_at": subscriber.get("updated_at"),
        },
        "campaign": dict(campaign or {}),
        "unsubscribe_url": unsub,
        "manage_url": manage,
        "message_url": links.message,
        "optin_url": links.optin,
        "track_view": mark_safe(track_view_html(links.view_pixel)),  # noqa: S308 (escaped URL)
        "links": links,
        "tx_data": dict(tx_data or {}),
        "site_name": site_name,
    }


class Renderer:
    """One campaign (or tx mail), compiled once; render() per recipient.

    template: the chosen Template row's body (a campaign template), used in
    place of template_body when not None. clock: the time {{ Date }} and
    Sprig's now print (tests pass a fixed one). Raises TemplateError (a
    TemplateSyntaxError) when a part does not compile, and from render()
    when a Go part fails for this recipient (an index out of range, ...).
    """

    def __init__(
        self,
        *,
        content_type: str,
        body: str,
        subject: str = "",
        altbody: str = "",
        template_body: str = "",
        template: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ):
        self.content_type = content_type
        self.clock = clock or timezone.localtime
        html = content_type in HTML_TYPES
        source = markdown_to_html(body) if content_type == "markdown" else body
        wrapper = template if template is not None else template_body
        wrap = bool(wrapper.strip()) and html
        self.subject = _compile(subject, html=False, part="subject")
        self.altbody = (
            _compile(altbody, html=False, part="altbody") if altbody.strip() else None
        )
        self.wrapper: Part | None = None
        self.body: Part | None = None
        # A Go template around a Go body: the body is its "content" template,
        # compiled into it, as listmonk does.
        if wrap and dialect(wrapper) == GO and dialect(source) == GO:
            _compile(source, html=True, part="body")  # errors name the body
            self.wrapper = _compile(wrapper, html=True, part="template", content=source)
        else:
            self.body = _compile(source, html=html, part="body")
            self.wrapper = (
                _compile(wrapper, html=True, part="template") if wrap else None
            )
        if self.wrapper is not None and self.wrapper.go is not None:
            if not self.wrapper.go.content_calls:
                raise TemplateError('the template has no {{ template "content" . }}')
        parts = (self.subject, self.body, self.wrapper, self.altbody)
        # listmonk's objects are built per recipient only for Go parts.
        self.any_go = any(p is not None and p.go is not None for p in parts)

    def render(self, context: Mapping[str, Any]) -> Rendered:
        ctx = dict(context)
        go = GoInput(ctx, self.clock) if self.any_go else None
        subject = _run(self.subject, ctx, go, "subject")
        # Header injection guard: a subject never spans lines.
        subject = " ".join(subject.split())
        body = _run(self.body, ctx, go, "body") if self.body is not None else ""
        if self.content_type not in HTML_TYPES:
            return Rendered(subject=subject, html="", text=body)
        if self.wrapper is not None:
            body = _run(self.wrapper, ctx, go, "template", content=body)
        if self.altbody is not None:
            text = _run(self.altbody, ctx, go, "altbody")
        else:
            text = text_part_from_html(body)
        return Rendered(subject=subject, html=body, text=text)


def _compile(source: str, *, html: bool, part: str, content: str | None = None) -> Part:
    try:
        return Part(source, html=html, content=content)
    except GoTemplateError as err:
        raise _from_go(err, part) from None
    except TemplateSyntaxError as err:
        if isinstance(err, TemplateError):
            raise
        raise _from_django(err, part) from None


def _run(
    part: Part, ctx: dict[str, Any], go: GoInput | None, name: str, content: str = ""
) -> str:
    try:
        return part.render(ctx, go, content)
    except GoTemplateError as err:
        raise _from_go(err, name) from None
