"""Campaign content rendering (pure: strings in, strings out; no ORM, no network).

A campaign's subject, body, alternative text and wrapper template are Django
templates with `subscriber` (name, email, uuid, attribs), `campaign` and
`unsubscribe_url` in the context. Compile once per campaign with `Renderer`,
then `render()` per subscriber: the sending engine renders thousands a second.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from django.template import Context, engines
from django.template.base import Template
from django.utils.safestring import mark_safe

HTML_TYPES = ("richtext", "html", "markdown")


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str  # "" for plain-text campaigns
    text: str


class TemplateError(ValueError):
    """A template that cannot be compiled or rendered, said where: the API
    answers 400 with str(error), the editor shows it beside the field."""

    def __init__(self, message: str, *, line: int | None = None, expression: str = ""):
        super().__init__(message)
        self.message = message
        self.line = line
        self.expression = expression

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        said = f"{self.expression}: " if self.expression else ""
        return f"{where}{said}{self.message}"


def check_template(source: str, *, kind: str = "body") -> None:
    """Raises TemplateError when `source` does not compile. kind: "body",
    "subject", "altbody", "campaign" (a campaign template: must place the
    content exactly once), "tx" (a transactional template)."""
    from django.template import TemplateSyntaxError

    try:
        compile_template(source)
    except TemplateSyntaxError as err:
        raise TemplateError(str(err)) from None


def compile_template(source: str) -> Template:
    """Raises django.template.TemplateSyntaxError on bad syntax."""
    return engines["django"].from_string(source).template


@dataclass(frozen=True)
class MailLinks:
    """The per-recipient URLs a template can ask for. The caller (sender,
    tx, preview) builds them; rendering stays pure.

    unsubscribe: {{ UnsubscribeURL }} / {{ unsubscribe_url }}
    message: {{ MessageURL }} / {{ message_url }} ("view in browser"), ""
        when there is none
    manage: {{ ManageURL }} / {{ manage_url }} (the preferences page), ""
        when there is none
    optin: {{ OptinURL }}, "" when the subscriber has nothing to confirm
    view_pixel: the URL {{ TrackView }} puts in an <img>; "" = tracking off
    track_link: {{ TrackLink "url" }} and url@TrackLink: url -> redirect URL;
        None = tracking off (links go out as they are)
    """

    unsubscribe: str = ""
    message: str = ""
    manage: str = ""
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
    listmonk's .Subscriber also status, created_at; campaign: uuid, name,
    subject, from_email. tx_data is listmonk's .Tx.Data. site_name
    (app.site_name) heads the shipped layouts."""
    links = links or MailLinks(unsubscribe=unsubscribe_url)
    return {
        "subscriber": {
            "name": subscriber.get("name", ""),
            "email": subscriber.get("email", ""),
            "uuid": str(subscriber.get("uuid", "")),
            "attribs": subscriber.get("attribs") or {},
            "status": subscriber.get("status", ""),
            "created_at": subscriber.get("created_at"),
        },
        "campaign": dict(campaign or {}),
        "unsubscribe_url": links.unsubscribe or unsubscribe_url,
        "links": links,
        "message_url": links.message,
        "manage_url": links.manage,
        "site_name": site_name,
        "tx_data": dict(tx_data or {}),
    }


class Renderer:
    def __init__(
        self,
        *,
        content_type: str,
        body: str,
        subject: str = "",
        altbody: str = "",
        template_body: str = "",
    ):
        self.content_type = content_type
        source = markdown_to_html(body) if content_type == "markdown" else body
        self.subject = compile_template(subject)
        self.body = compile_template(source)
        self.altbody = compile_template(altbody) if altbody.strip() else None
        wrap = template_body.strip() and content_type in HTML_TYPES
        self.wrapper = compile_template(template_body) if wrap else None

    def render(self, context: Mapping[str, Any]) -> Rendered:
        ctx = dict(context)
        subject = self.subject.render(Context(ctx, autoescape=False))
        # Header injection guard: a subject never spans lines.
        subject = " ".join(subject.split())
        if self.content_type not in HTML_TYPES:
            text = self.body.render(Context(ctx, autoescape=False))
            return Rendered(subject=subject, html="", text=text)
        body = self.body.render(Context(ctx, autoescape=True))
        if self.wrapper is not None:
            ctx_wrap = dict(ctx, content=mark_safe(body))  # noqa: S308 (already escaped)
            body = self.wrapper.render(Context(ctx_wrap, autoescape=True))
        if self.altbody is not None:
            text = self.altbody.render(Context(ctx, autoescape=False))
        else:
            text = text_part_from_html(body)
        return Rendered(subject=subject, html=body, text=text)


# --- HTML to plain text -----------------------------------------------------------

BLOCK_TAGS = {
    "p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "ul", "ol", "table", "blockquote", "pre", "hr", "section", "article",
}  # fmt: skip


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.hrefs: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")
        elif tag == "a":
            self.hrefs.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")
        elif tag == "a" and self.hrefs:
            href = self.hrefs.pop()
            if href and not href.startswith(("#", "mailto:")):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def text_part_from_html(source: str) -> str:
    """The text/plain alternative of a campaign's HTML body (readable text,
    scripts and styles dropped); bounces.parsing.mime has its own cruder one
    for reading DSN bodies."""
    parser = _TextExtractor()
    parser.feed(source)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- minimal Markdown -------------------------------------------------------------
# The `markdown` package is not a dependency; this covers what campaigns use:
# headings, paragraphs, bullet and numbered lists, **bold**, *italic*, `code`
# and [links](url). Raw HTML is escaped, so Markdown bodies cannot inject markup.
# Template tags ({{ }} and {% %}) pass through untouched: quotes are not escaped
# in text (only & < >), so they are rendered by the template engine afterwards.


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(match: re.Match[str]) -> str:
    url = match.group(2).strip()
    if not re.match(r"^(https?:|mailto:|/|#|\{\{)", url):
        return match.group(1)  # javascript: and friends become plain text
    # The text is already &<>-escaped; only quotes remain for the attribute.
    return f'<a href="{url.replace(chr(34), "&quot;")}">{match.group(1)}</a>'


def _inline(text: str) -> str:
    text = _escape(text)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"<em>\1</em>", text)
    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", _link, text)


def markdown_to_html(source: str) -> str:
    out: list[str] = []
    para: list[str] = []
    list_tag = ""

    def flush() -> None:
        nonlocal list_tag
        if para:
            out.append("<p>" + "<br>\n".join(_inline(p) for p in para) + "</p>")
            para.clear()
        if list_tag:
            out.append(f"</{list_tag}>")
            list_tag = ""

    for raw in source.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        item = re.match(r"^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$", line)
        if not line.strip():
            flush()
        elif heading:
            flush()
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif item:
            tag = "ul" if item.group(1) else "ol"
            if para or (list_tag and list_tag != tag):
                flush()
            if not list_tag:
                out.append(f"<{tag}>")
                list_tag = tag
            out.append(f"<li>{_inline(item.group(3))}</li>")
        else:
            if list_tag:
                flush()
            para.append(line.strip())
    flush()
    return "\n".join(out)
