"""Campaign content rendering: templates, escaping, Markdown, plain alternative."""

from __future__ import annotations

import pytest
from django.template import TemplateSyntaxError

from campaigns.rendering import (
    Renderer,
    build_context,
    markdown_to_html,
    text_part_from_html,
)

SUB = {
    "name": "Ann <b>&",
    "email": "ann@example.com",
    "uuid": "u-1",
    "attribs": {"city": "Köln"},
}


def ctx():
    return build_context(SUB, {"name": "C"}, "https://x.test/unsub/u-1")


def test_it_renders_name_attributes_and_unsubscribe_url_escaped_in_html():
    r = Renderer(
        content_type="html",
        subject="Hi {{ subscriber.name }}",
        body="<p>{{ subscriber.name }} in {{ subscriber.attribs.city }}</p>"
        '<a href="{{ unsubscribe_url }}">Unsubscribe</a>',
    ).render(ctx())
    assert r.subject == "Hi Ann <b>&"
    assert "<p>Ann &lt;b&gt;&amp; in Köln</p>" in r.html
    assert 'href="https://x.test/unsub/u-1"' in r.html
    assert r.text == "Ann <b>& in Köln\nUnsubscribe (https://x.test/unsub/u-1)"


def test_it_keeps_plain_text_unescaped_and_without_html():
    r = Renderer(content_type="plain", body="Dear {{ subscriber.name }},").render(ctx())
    assert (r.html, r.text) == ("", "Dear Ann <b>&,")


def test_it_uses_the_altbody_when_given():
    r = Renderer(
        content_type="richtext", body="<p>x</p>", altbody="Alt {{ subscriber.email }}"
    ).render(ctx())
    assert r.text == "Alt ann@example.com"


def test_it_wraps_html_in_the_template():
    r = Renderer(
        content_type="html",
        body="<p>{{ subscriber.name }}</p>",
        template_body="<html><body>{{ content }}<footer>F</footer></body></html>",
    ).render(ctx())
    assert (
        r.html
        == "<html><body><p>Ann &lt;b&gt;&amp;</p><footer>F</footer></body></html>"
    )


def test_it_keeps_subjects_on_one_line():
    r = Renderer(content_type="plain", body="", subject="{{ subscriber.attribs.x }}")
    out = r.render(build_context({**SUB, "attribs": {"x": "a\r\nBcc: e@x"}}))
    assert out.subject == "a Bcc: e@x"


def test_it_raises_on_bad_template_syntax():
    with pytest.raises(TemplateSyntaxError):
        Renderer(content_type="html", body="{% if %}")


def test_it_converts_markdown_and_escapes_raw_html():
    out = markdown_to_html(
        "# Hi {{ subscriber.name }}\n\nSome **bold** and *it* <script>x</script>\n\n"
        "- one\n- [two](https://e.test/?a=1&b=2)\n\n1. first\n\n[bad](javascript:alert(1))"
    )
    assert "<h1>Hi {{ subscriber.name }}</h1>" in out
    assert "<strong>bold</strong> and <em>it</em> &lt;script&gt;" in out
    assert "<ul>\n<li>one</li>" in out
    assert '<a href="https://e.test/?a=1&amp;b=2">two</a>' in out
    assert "<ol>\n<li>first</li>\n</ol>" in out
    assert "javascript" not in out


def test_it_renders_markdown_campaigns_with_escaped_values():
    r = Renderer(content_type="markdown", body="Hello **{{ subscriber.name }}**")
    assert r.render(ctx()).html == "<p>Hello <strong>Ann &lt;b&gt;&amp;</strong></p>"


def test_it_makes_text_from_html_without_scripts_or_styles():
    text = text_part_from_html(
        "<html><head><style>p{}</style></head><body><h1>T</h1><p>a &amp; b</p>"
        "<script>x()</script><ul><li>one</li><li>two</li></ul></body></html>"
    )
    assert text == "T\n\na & b\n\n- one\n\n- two"


def test_text_from_html_folds_every_kind_of_whitespace_as_a_regex_would():
    html = "<p> a\t\u00a0b \u2003</p><p>\x0bc\r\n\x1cd</p><p>\u3000</p>e \x85f"
    text = text_part_from_html(html)
    assert text == "a b\n\nc d\n\ne f"
