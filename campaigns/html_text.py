"""The text/plain alternative of a campaign's HTML body (campaigns.rendering
re-exports text_part_from_html): made once per recipient, so it has two ways
to the same string.

The reference is html.parser.HTMLParser driving _TextSink. The fast way is one
regex pass over the tokens a mail body is made of (tags with tidy attributes,
end tags, comments, doctype, <style>/<script> bodies, text), applying
_TextSink's rules to them; about 3 times faster on the shipped layout. Anything
else (a tag HTMLParser would read leniently, <![CDATA[, an unclosed
comment...) sends the whole body to HTMLParser. tests/campaigns/test_html_text.py
compares both on the shipped templates, the repository's HTML and thousands of
generated bodies: a change to either side must keep that test passing.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

BLOCK_TAGS = {
    "p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "ul", "ol", "table", "blockquote", "pre", "hr", "section", "article",
}  # fmt: skip
SKIPPED = ("script", "style", "head", "title")


class _TextSink:
    """What becomes of HTMLParser's calls: text, block breaks, link targets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.skip = 0
        self.hrefs: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.skip += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")
        elif tag == "a":
            self.hrefs.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")
        elif tag == "a" and self.hrefs:
            href = self.hrefs.pop()
            if href and not href.startswith(("#", "mailto:")):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self.skip and data:
            self.parts.append(_collapse_spaces(data))


class _TextExtractor(_TextSink, HTMLParser):
    def __init__(self) -> None:
        _TextSink.__init__(self)
        HTMLParser.__init__(self, convert_charrefs=True)


def _collapse_spaces(data: str) -> str:
    """re.sub(r"\\s+", " ", data), several times faster on long text (str.split
    and re's \\s know the same whitespace): rendered once per recipient."""
    words = " ".join(data.split())
    if not words:
        return " "
    return (
        (" " if data[0].isspace() else "") + words + (" " if data[-1].isspace() else "")
    )


def text_part_from_html(source: str) -> str:
    """The text/plain alternative of a campaign's HTML body (readable text,
    scripts and styles dropped); bounces.parsing.mime has its own cruder one
    for reading DSN bodies."""
    text = _fast_text(source)
    if text is None:
        return reference_text(source)
    return _tidy(text)


def reference_text(source: str) -> str:
    """text_part_from_html through HTMLParser, for any input."""
    parser = _TextExtractor()
    parser.feed(source)
    parser.close()
    return _tidy("".join(parser.parts))


_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    text = "\n".join([line.strip() for line in text.split("\n")])
    if "\n\n\n" in text:  # the search costs more than this check
        text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


# --- the fast way -------------------------------------------------------------
# Each pattern accepts a subset of what HTMLParser reads the same way: a tag
# name HTMLParser would cut at the same place (followed by ASCII space, "/>"
# or ">"), attributes after ASCII spaces, values quoted or bare without the
# characters that make HTMLParser's lenient rules differ from the tidy ones.

_WS = r"[ \t\n\r\f]"
_NAME = r"[a-zA-Z][-.a-zA-Z0-9:_]*"
_ATTR = (
    rf"([a-zA-Z_:][-a-zA-Z0-9_:.]*+)"
    rf"(?:{_WS}*+={_WS}*+(?:\"([^\"]*+)\"|'([^']*+)'|([^\s\"'=>][^\s>]*+)))?"
)
_TOKEN = re.compile(
    rf"""<(?:
      (?P<start>{_NAME})(?P<attrs>(?:{_WS}++{_ATTR})*+){_WS}*+(?P<empty>/?)>
    | /\s*+(?P<end>{_NAME})\s*+>
    | !--.*?--\s*>                  # a comment
    | !(?!--|\[)[^>]*+>             # <!doctype ...> and other <!...>
    | \?[^>]*+>                     # a processing instruction
    | (?P<lone>)(?=[^a-zA-Z/!?]|\Z) # a "<" HTMLParser passes on as text
    | (?P<odd>)                     # anything else: HTMLParser's business
    )""",
    re.S | re.X,
)
_ATTRS = re.compile(_ATTR)
# HTMLParser leaves <script> and <style> at the first "</script\s*>" (any case).
_CDATA_END = {
    "script": re.compile(r"</\s*[sS][cC][rR][iI][pP][tT]\s*>"),
    "style": re.compile(r"</\s*[sS][tT][yY][lL][eE]\s*>"),
}


def _fast_text(source: str) -> str | None:
    """What _TextSink would hold after HTMLParser's calls, or None when
    `source` holds something only HTMLParser reads right. _TextSink's rules
    are written out inline here: a call per token is most of the cost."""
    parts: list[str] = []
    append = parts.append
    skip = 0
    hrefs: list[str | None] = []
    pos = 0  # where the text not yet handled begins
    for m in _TOKEN.finditer(source):
        start = m.start()
        if start < pos:  # in a <script> or <style> body, skipped already
            if m.end() <= pos:
                continue
            return None  # a token across its end tag: scanning went astray
        if start > pos and not skip:
            append(_text(source[pos:start]))
        pos = m.end()
        kind = m.lastgroup  # the last group a branch closes names the branch
        if kind == "empty":
            tag = m.group("start").lower()
            if tag in BLOCK_TAGS:
                append("\n- " if tag == "li" else "\n")
            elif tag == "a":
                hrefs.append(_href(m.group("attrs")))
            elif tag in SKIPPED:
                skip += 1
            if not m.group("empty"):
                if tag not in _CDATA_END:
                    continue
                end = _CDATA_END[tag].search(source, pos)
                if end is None:
                    return None
                pos = end.end()
        elif kind == "end":
            tag = m.group("end").lower()
        elif kind == "lone":
            if not skip:
                append("<")
            continue
        elif kind == "odd":
            return None
        else:  # a comment, <!doctype>, <?...>
            continue
        # The end of `tag` (its end tag, or a start tag closed by "/>").
        if tag in BLOCK_TAGS:
            append("\n")
        elif tag == "a":
            if hrefs:
                href = hrefs.pop()
                if href and not href.startswith(("#", "mailto:")):
                    append(f" ({href})")
        elif tag in SKIPPED:
            skip = max(0, skip - 1)
    if pos < len(source) and not skip:
        append(_text(source[pos:]))
    return "".join(parts)


def _text(data: str) -> str:
    if "&" in data:
        data = unescape(data)
    return " " if data.isspace() else _collapse_spaces(data)


def _href(attrs: str) -> str | None:
    """dict(attrs).get("href") of an <a> tag's attributes as HTMLParser lists
    them (the last href, unquoted and unescaped), or a falsy value where that
    is falsy (None, or "" for href="")."""
    href = None
    for name, double, single, bare in _ATTRS.findall(attrs):
        if name.lower() == "href":
            href = double or single or bare
    return unescape(href) if href else href
