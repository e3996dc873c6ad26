"""Convert a campaign body between content types (listmonk's POST
/api/campaigns/{id}/content and the form's content-type switch). Pure: strings
in, strings out.

richtext and html are both HTML (richtext is kept to the rich text editor's
allow-list); markdown goes to HTML through campaigns.markdown_lite and comes
back from HTML through the small converter below; plain text is what the
text/plain part of a mail would say (campaigns.rendering.text_part_from_html).
Template tags ({{ }}) pass through every conversion unchanged.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

from campaigns.html_sanitizer import sanitize_html
from campaigns.markdown_lite import markdown_to_html
from campaigns.rendering import text_part_from_html

CONTENT_TYPES = ("richtext", "html", "markdown", "plain")
HTML_TYPES = ("richtext", "html")


class ConvertError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def plain_to_html(text: str) -> str:
    """Paragraphs at blank lines, <br> at line breaks; the text is escaped."""
    paras = [p for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    return "\n".join(
        "<p>"
        + "<br>\n".join(escape(ln.strip(), quote=False) for ln in p.split("\n"))
        + "</p>"
        for p in paras
    )


class _Markdown(HTMLParser):
    """HTML to Markdown: headings, paragraphs, line breaks, lists, bold,
    italic, code and links; other markup keeps only its text."""

    BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote",
              "pre", "table", "tr", "section", "article"}  # fmt: skip
    INLINE = {"strong": "**", "b": "**", "em": "*", "i": "*", "code": "`"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.lists: list[list[int | str]] = []  # [tag, counter] per open list
        self.hrefs: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self.out.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag in ("ul", "ol"):
            self.lists.append([tag, 0])
            self.out.append("\n")
        elif tag == "li":
            kind = self.lists[-1] if self.lists else ["ul", 0]
            kind[1] = int(kind[1]) + 1
            self.out.append("\n" + ("- " if kind[0] == "ul" else f"{kind[1]}. "))
        elif tag in self.BLOCKS:
            self.out.append("\n\n")
        elif tag == "br":
            # markdown_lite keeps a paragraph's line breaks.
            self.out.append("\n")
        elif tag in self.INLINE:
            self.out.append(self.INLINE[tag])
        elif tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")
            self.out.append("[")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self.out.append("\n\n")
        elif re.fullmatch(r"h[1-6]", tag) or tag in self.BLOCKS:
            self.out.append("\n\n")
        elif tag in self.INLINE:
            self.out.append(self.INLINE[tag])
        elif tag == "a" and self.hrefs:
            href = self.hrefs.pop()
            self.out.append(f"]({href})" if href else "]")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_markdown(source: str) -> str:
    parser = _Markdown()
    parser.feed(source)
    parser.close()
    text = "\n".join(line.strip() for line in "".join(parser.out).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def convert(body: str, source: str, target: str) -> str:
    """body, written as `source`, rewritten as `target`."""
    for field, value in (("from", source), ("to", target)):
        if value not in CONTENT_TYPES:
            raise ConvertError(field, f"must be one of {', '.join(CONTENT_TYPES)}")
    if source == target:
        return body
    if source in HTML_TYPES:
        html = body
    elif source == "markdown":
        html = markdown_to_html(body)
    else:
        html = plain_to_html(body)
    if target == "richtext":
        return sanitize_html(html)
    if target == "html":
        return html
    if target == "markdown":
        return body if source == "plain" else html_to_markdown(html)
    return text_part_from_html(html)
