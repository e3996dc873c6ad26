"""Contextual escaping mirrors Go's html/template (escape.go, html.go, url.go, js.go)."""

from __future__ import annotations

import pytest

from campaigns.gotemplate import GoTemplate, SafeHTML


def render(source: str, value) -> str:
    return GoTemplate(source).render({"V": value})


EVIL = "<script>alert('x')</script>"

CASES = [
    ("<p>{{ .V }}</p>", EVIL, "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>"),
    ("<p>{{ .V }}</p>", 'a+b "c" & d', "<p>a&#43;b &#34;c&#34; &amp; d</p>"),
    ('<p title="{{ .V }}">', 'x" onload="y', '<p title="x&#34; onload=&#34;y">'),
    ("<p title='{{ .V }}'>", "it's", "<p title='it&#39;s'>"),
    ("<p class={{ .V }}>", "a b=c", "<p class=a&#32;b&#61;c>"),
    ("<p class={{ .V }}>", "", "<p class=ZgotmplZ>"),
    # URL attributes: unsafe schemes are replaced, the rest normalised
    ('<a href="{{ .V }}">', "javascript:alert(1)", '<a href="#ZgotmplZ">'),
    ('<a href="{{ .V }}">', "JavaScript:alert(1)", '<a href="#ZgotmplZ">'),
    ('<img src="{{ .V }}">', "data:text/html,x", '<img src="#ZgotmplZ">'),
    ('<a href="{{ .V }}">', "mailto:a@b.test", '<a href="mailto:a@b.test">'),
    (
        '<a href="{{ .V }}">',
        "https://e.test/a b?x=1&y=2",
        '<a href="https://e.test/a%20b?x=1&amp;y=2">',
    ),
    ('<a href="{{ .V }}">', "/path/ok", '<a href="/path/ok">'),
    ('<a href="/p/{{ .V }}">', "a b?c", '<a href="/p/a%20b?c">'),
    ('<a href="/s?q={{ .V }}">', "a b&c/d", '<a href="/s?q=a%20b%26c%2fd">'),
    ('<a href="/s#{{ .V }}">', "x y", '<a href="/s#x%20y">'),
    (
        '<a href="{{ .V }}">',
        "https://e.test/%41%zz",
        '<a href="https://e.test/%41%25zz">',
    ),
    ('<a href="{{ .V }}">', "https://e.test/é", '<a href="https://e.test/%c3%a9">'),
    ("<a href={{ .V }}>", "javascript:x", "<a href=#ZgotmplZ>"),
    # template.HTML (Safe): as is in text, tags stripped in attributes
    ("<div>{{ .V }}</div>", SafeHTML("<b>bold</b>"), "<div><b>bold</b></div>"),
    # (Go trusts the entities in template.HTML: "&" stays, quotes do not)
    (
        '<p title="{{ .V }}">',
        SafeHTML('<b>bold</b> &amp; "q"'),
        '<p title="bold &amp; &#34;q&#34;">',
    ),
    # JavaScript
    (
        "<script>var v = {{ .V }};</script>",
        "a</script>",
        '<script>var v = "a\\u003c/script\\u003e";</script>',
    ),
    ("<script>var v = {{ .V }};</script>", 5, "<script>var v =  5 ;</script>"),
    (
        "<script>var v = '{{ .V }}';</script>",
        "it's <b>",
        "<script>var v = 'it\\u0027s \\u003cb\\u003e';</script>",
    ),
    ('<a onclick="f({{ .V }})">', "x", '<a onclick="f(&#34;x&#34;)">'),
    (
        "<script>var v = {{ .V }};</script>",
        {"a": [1, "<"]},
        '<script>var v = {"a":[1,"\\u003c"]};</script>',
    ),
    # CSS
    ('<p style="color: {{ .V }}">', "red", '<p style="color: red">'),
    (
        '<p style="color: {{ .V }}">',
        "expression(alert(1))",
        '<p style="color: ZgotmplZ">',
    ),
    (
        "<style>p { color: {{ .V }} }</style>",
        "red;}body{x:y",
        "<style>p { color: ZgotmplZ }</style>",
    ),
    # RCDATA elements
    ("<title>{{ .V }}</title>", "<b>", "<title>&lt;b&gt;</title>"),
    ("<textarea>{{ .V }}</textarea>", SafeHTML("<b>x</b>"), "<textarea>x</textarea>"),
    # HTML comments in the template text are dropped, with what is in them
    ("a<!-- secret {{ .V }} -->b", "v", "ab"),
    ("<!--[if mso]>x<![endif]-->y", "v", "y"),
    # attribute names from data are filtered
    ("<p {{ .V }}=1>", "onclick", "<p ZgotmplZ=1>"),
    ("<p {{ .V }}=1>", "title", "<p title=1>"),
    # nil and missing print nothing
    ("[{{ .V }}]", None, "[]"),
    ("[{{ .Nope }}]", "x", "[]"),
]


@pytest.mark.parametrize(("source", "value", "expected"), CASES)
def test_it_escapes_like_html_template(source, value, expected):
    assert render(source, value) == expected


def test_it_escapes_a_template_per_calling_context():
    src = (
        '{{ define "v" }}{{ . }}{{ end }}'
        '<a href="{{ template "v" "javascript:x" }}">{{ template "v" "<b>" }}</a>'
    )
    assert GoTemplate(src).render({}) == '<a href="#ZgotmplZ">&lt;b&gt;</a>'


def test_it_does_not_escape_text_templates():
    tpl = GoTemplate("{{ .V }} <!-- kept -->", html=False)
    assert tpl.render({"V": "<b>&'"}) == "<b>&' <!-- kept -->"


def test_it_keeps_context_across_branches():
    src = '<a href="{{ if .A }}{{ .V }}{{ else }}/x{{ end }}">{{ .V }}</a>'
    assert GoTemplate(src).render({"A": True, "V": "javascript:1"}) == (
        '<a href="#ZgotmplZ">javascript:1</a>'
    )
