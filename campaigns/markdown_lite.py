"""Minimal Markdown for campaign bodies (pure: string in, HTML out).

The `markdown` package is not a dependency; this covers what campaigns use:
headings, paragraphs, bullet and numbered lists, **bold**, *italic*, `code`
and [links](url). Raw HTML is escaped, so Markdown bodies cannot inject markup.
Template tags ({{ }} and {% %}) pass through untouched: quotes are not escaped
in text (only & < >), so they are rendered by the template engine afterwards.
A tracked link is written [text](https://url@TrackLink).
"""

from __future__ import annotations

import re


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
