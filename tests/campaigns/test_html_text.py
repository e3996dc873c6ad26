"""text_part_from_html's fast way gives HTMLParser's text to the character:
compared on the shipped templates, the repository's HTML and fixtures, odd
cases written by hand and thousands of seeded random bodies."""

from __future__ import annotations

import importlib
import random
from pathlib import Path

import pytest

from campaigns.html_text import _fast_text, reference_text, text_part_from_html
from campaigns.rendering import Renderer, build_context

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = importlib.import_module("campaigns.migrations.0009_template_defaults")
PARAGRAPH = (
    '<p>Dear reader, <b>news</b> &amp; more: <a href="https://example.test/p?id=1&amp;x=2">'
    'the post</a>, <a href="mailto:x@example.test">write</a> or <a href=#top>top</a>.</p>\n'
    "<ul>\n  <li>one&nbsp;item</li>\n  <li>it&#39;s &#x27;two&#x27;</li>\n</ul>\n"
)


def same(html: str) -> bool:
    return text_part_from_html(html) == reference_text(html)


def shipped_mails() -> list[str]:
    """The shipped templates as stored and as a recipient gets them."""
    out = [fields["body"] for fields in SHIPPED.DEFAULTS]
    for fields in SHIPPED.DEFAULTS:
        if fields["type"] == "tx":
            continue
        renderer = Renderer(
            content_type="richtext", body=PARAGRAPH * 6, template=fields["body"]
        )
        context = build_context(
            {"name": "Ann", "email": "ann@example.test", "uuid": "u-1"},
            {"subject": "Hello & welcome"},
            "https://example.test/unsubscribe/t",
            site_name="Example <News>",
        )
        out.append(renderer.render(context).html)
    return out


def test_the_shipped_campaign_layout_takes_the_fast_way():
    for html in shipped_mails():
        assert _fast_text(html) is not None
        assert same(html)


def repository_html() -> list[Path]:
    found = sorted((ROOT / "templates").rglob("*.html"))
    found += sorted((ROOT / "tests" / "fixtures").rglob("*.eml"))
    return found


def test_repository_html_and_fixture_mails():
    paths = repository_html()
    assert len(paths) > 100
    taken = 0
    for path in paths:
        html = path.read_text(encoding="utf-8", errors="replace")
        taken += _fast_text(html) is not None
        assert same(html), path
    assert taken > 30  # many have markup only HTMLParser reads (mail headers: <a@b>)


ODD = [
    "",
    "plain text only &amp; more &amp",
    "a < b > c <",
    "1<2 and <3, </ then <! and <? and <",
    "<br/><BR /><br / ><hr>x",
    "<a href=x/>A</a><a href=http://e.test/>B</a><a href= class=x>C</a>",
    "<a HREF='a&amp;b' href=\"c&lt;d\">last wins</A>",
    "<a href>none</a><a href=''>empty</a><a href==x>double</a><a>no</a></a></a>",
    '<a title="x>y" href="https://e.test/q?a=1&b=2">quoted &gt;</a>',
    '<a href=x"y>quote in bare</a><a href=a=b>eq</a><a href=a<b>lt</a>',
    "<p\xa0class=x>nbsp in tag</p><p class=x\u2003>em space</p>",
    "<o:p>word</o:p><x-y>custom</x-y><P CLASS=Big>up</P>",
    "<style>p{}</style ><STYLE>a<b</Style\xa0>after",
    "<script>if (a<b) s = '</scr' + 'ipt>';</script>x<script/>y",
    "<script>never closed",
    "<style><!--</style>-->x",
    "<head><title>T</title><meta charset=utf-8></head><body>B</body>",
    "<title>a<p>b</p></title>c</title></head>d",
    "<!doctype html><!DOCTYPE x><!-- c --><!----><!-- a -- ><!-->x<!--->y-->z",
    "<!--[if mso]><table><tr><td><![endif]-->in<!--[if mso]></td></tr></table><![endif]-->",
    "<![CDATA[x]]>y<?xml version='1.0'?>z<?php echo 1 ?>",
    "<!x>a<!>b</>c</ p>d</p x>e</3>f<//p>",
    "<!--unclosed comment",
    "<a href='x",
    "&#0;&#x110000;&#xZZ;&bogus;&notit;&AMP;&copy&#160x &nbsp;",
    "<li>a</li><li>b<ul><li>c</ul></li>",
    "<p> a\t\u00a0b \u2003</p><p>\x0bc\r\n\x1cd</p><p>\u3000</p>e \x85f",
    "ſ<ſtyle>K</ſtyle><ſcript>x",
    "<style>x</ſtyle>y</style>z",
]


@pytest.mark.parametrize("html", ODD)
def test_odd_cases_written_by_hand(html):
    assert same(html)


# --- seeded random bodies ---------------------------------------------------------

TAGS = [
    "p", "div", "br", "tr", "li", "h1", "h3", "ul", "ol", "table", "blockquote", "pre",
    "hr", "section", "article", "a", "span", "b", "img", "td", "o:p", "em",
    "script", "style", "head", "title",
]  # fmt: skip
ENTITIES = [
    "&amp;", "&nbsp;", "&#39;", "&#x27;", "&", "&lt;", "&gt;", "&quot;", "&copy",
    "&#160", "&#xZZ;", "&bogus;", "&amp", "&#0;", "&AMP;", "&notit;",
]  # fmt: skip
SPACES = [" ", "  ", "\n", "\t", "\r\n", "\xa0", "\u2003", "\x0b", "\x0c", "\x85"]
WORDS = [
    "hello", "world", "a < b", "x > y", "<", ">", "1<2", "<3", "</", "<!", "<?",
    "5€", "ſ", "K", "=", '"', "'", "`", "/", "-->", "--",
]  # fmt: skip
HREFS = [
    "https://e.test/?a=1&amp;b=2", "#top", "mailto:x@e.test", "", "http://x/",
    "/rel path", "https://e.test/a>b", "{{ UnsubscribeURL }}", "http://e.test/&#39;q",
]  # fmt: skip
MARKUP = [
    "<!-- note -->", "<!--[if mso]><table><tr><td><![endif]-->", "<!doctype html>",
    "<!DOCTYPE html PUBLIC>", "<!-- a -- >", "<!--x", "<![CDATA[x]]>", "<?xml v='1'?>",
    "<!x>", "<!-->", "</>", "<!--a--!>", "</scr", "</style", "</script >",
]  # fmt: skip


def attribute(rng: random.Random) -> str:
    name = rng.choice(["href", "HREF", "Href", "class", "style", "data-x", "x:y", "_a"])
    if rng.random() < 0.1:
        return name
    if name.lower() == "href":
        value = rng.choice(HREFS)
    else:
        value = rng.choice(
            ["x", "a b", "", "c&amp;d", "a>b", "a'b", 'a"b', "a=b", "x/"]
        )
    equals = rng.choice(["=", "=", "=", " = ", "\n=", "=="])
    quote = rng.random()
    if quote < 0.45:
        return f'{name}{equals}"{value.replace(chr(34), "")}"'
    if quote < 0.8:
        return f"{name}{equals}'{value.replace(chr(39), '')}'"
    return f"{name}{equals}{value}"


def start_tag(rng: random.Random, tag: str) -> str:
    if rng.random() < 0.2:
        tag = tag.upper()
    attrs = "".join(
        rng.choice([" ", " ", "\n", "  ", "\t", "", "/", "\xa0"]) + attribute(rng)
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3]))
    )
    close = rng.choice([">", ">", ">", " >", "/>", " />", "\n>", "", " /", "/ >"])
    return f"<{tag}{attrs}{close}"


def end_tag(rng: random.Random, tag: str) -> str:
    if rng.random() < 0.2:
        tag = tag.upper()
    return rng.choice(
        [
            f"</{tag}>",
            f"</{tag}>",
            f"</{tag} >",
            f"</ {tag}>",
            f"</{tag}\n>",
            f"</{tag} x>",
        ]
    )


def piece(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(WORDS) + rng.choice(SPACES) + rng.choice(WORDS)
    if roll < 0.4:
        return rng.choice(ENTITIES)
    if roll < 0.5:
        return rng.choice(SPACES) * rng.randint(1, 3)
    if roll < 0.54:
        return rng.choice(MARKUP)
    tag = rng.choice(TAGS)
    inner = "".join(
        piece(rng, depth + 1) for _ in range(rng.randint(0, 3 - min(depth, 3)))
    )
    if rng.random() < 0.15 or (tag in ("br", "hr", "img") and rng.random() < 0.7):
        return start_tag(rng, tag) + inner
    return start_tag(rng, tag) + inner + end_tag(rng, tag)


def tidy_body(rng: random.Random) -> str:
    """Mostly what an editor writes, so most take the fast way."""
    out = []
    for _ in range(rng.randint(1, 12)):
        tag = rng.choice(
            ["p", "div", "li", "ul", "a", "span", "h1", "br", "td", "style"]
        )
        text = rng.choice(["hello", "a < b", "x > y", "5€", ""]) + rng.choice(SPACES)
        text += rng.choice(ENTITIES[:8])
        if tag == "a":
            quote = rng.choice(['"', "'", ""])
            href = rng.choice(HREFS[:5])
            href = href if quote else href.replace(" ", "").replace(">", "")
            out.append(f"<a href={quote}{href}{quote} class=x>{text}</A>")
        elif tag == "br":
            out.append(rng.choice(["<br>", "<br/>", "<BR />"]) + text)
        else:
            out.append(f"<{tag}>{text}</{tag}>" + rng.choice(SPACES[:5]))
    return "".join(out)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_seeded_random_bodies(seed):
    rng = random.Random(seed)
    fast = {True: 0, False: 0}
    for case in range(2400):
        tidy = case % 3 == 0
        html = (
            tidy_body(rng)
            if tidy
            else "".join(piece(rng) for _ in range(rng.randint(1, 10)))
        )
        fast[tidy] += _fast_text(html) is not None
        assert text_part_from_html(html) == reference_text(html), (seed, case, html)
    # The comparison means something only where the fast way was taken.
    assert fast[True] > 700 and fast[False] > 150, fast
