"""Allow-list HTML sanitiser for rich text campaign bodies (pure: string in, string out).

The rich text editor posts the editable area's innerHTML, which a user (or a
paste from a web page) can fill with anything. Only formatting tags and a few
attributes survive; script-like elements are dropped with their content, other
unknown tags are dropped but keep their text. Template tags ({{ }}, {% %}) in
text pass through verbatim so the body still renders as a Django template.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

ALLOWED_TAGS = {
    "a", "b", "strong", "i", "em", "u", "s", "strike", "sub", "sup", "p", "br",
    "div", "span", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
    "blockquote", "pre", "code", "hr", "img", "table", "thead", "tbody", "tr",
    "td", "th",
}  # fmt: skip
VOID_TAGS = {"br", "hr", "img"}
# Dropped together with everything inside them.
DROP_CONTENT_TAGS = {
    "script", "style", "iframe", "object", "embed", "noscript", "template",
    "textarea", "select", "head", "title", "svg", "math",
}  # fmt: skip
ALLOWED_ATTRS = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
URL_ATTRS = {"href", "src"}
SAFE_URL = re.compile(r"^(https?:|mailto:|/|#|\{\{)", re.IGNORECASE)
TEMPLATE_TAG = re.compile(r"(\{\{.*?\}\}|\{%.*?%\})", re.DOTALL)
# Browsers ignore these inside a URL scheme ("java\tscript:").
URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")


def is_safe_url(url: str) -> bool:
    return bool(SAFE_URL.match(URL_NOISE.sub("", url)))


def _escape_text(text: str) -> str:
    parts = TEMPLATE_TAG.split(text)
    # Odd indexes are template tags: kept as written so the template engine sees them.
    return "".join(p if i % 2 else escape(p, quote=False) for i, p in enumerate(parts))


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.dropping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.dropping:
            if tag == self.dropping[-1]:
                self.dropping.append(tag)
            return
        if tag in DROP_CONTENT_TAGS:
            self.dropping.append(tag)
            return
        if tag not in ALLOWED_TAGS:
            return
        kept = []
        for name, value in attrs:
            if name not in ALLOWED_ATTRS.get(tag, ()) or value is None:
                continue
            if name in URL_ATTRS and not is_safe_url(value):
                continue
            kept.append(f' {name}="{escape(value, quote=True)}"')
        self.out.append(f"<{tag}{''.join(kept)}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS and tag not in DROP_CONTENT_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            if tag == self.dropping[-1]:
                self.dropping.pop()
            return
        if tag in ALLOWED_TAGS and tag not in VOID_TAGS:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.out.append(_escape_text(data))


def sanitize_html(source: str) -> str:
    """Return `source` with only allow-listed tags and attributes (no scripts, no on*)."""
    parser = _Sanitizer()
    parser.feed(source)
    parser.close()
    return "".join(parser.out)
