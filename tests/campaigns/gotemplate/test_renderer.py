"""Renderer and check_template with both dialects (campaigns.rendering's contract)."""

from __future__ import annotations

import pytest
from django.template import TemplateSyntaxError

from campaigns.dialects import DJANGO, GO, dialect
from campaigns.rendering import MailLinks, Renderer, TemplateError, check_template
from tests.campaigns.gotemplate.helpers import LINKS, NOW, SUB, context

GO_WRAPPER = '<html><body>{{ template "content" . }}<p>{{ L.T "email.unsub" }}</p>{{ TrackView }}</body></html>'
PIXEL = '<img src="https://x.test/campaign/c-uuid/5f1d-u1/px.png" alt="" />'


def render(**kw):
    kw.setdefault("content_type", "html")
    return Renderer(clock=lambda: NOW, **kw).render(context())


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ .Subscriber.Name }}", GO),
        ("{{.Subscriber.Name}}", GO),
        ("{{ $x := 1 }}", GO),
        ('{{ template "content" . }}', GO),
        ("{{ if eq 1 1 }}x{{ end }}", GO),
        ("{{ UnsubscribeURL }}", GO),
        ("{{ TrackView }}", GO),
        ('{{ L.T "email.unsub" }}', GO),
        ('{{ Date "2006" }}', GO),
        ("{{- 1 -}}", GO),
        ("{{/* c */}}", GO),
        ('{{ lower "A" }}', GO),
        ('<a href="https://e.test@TrackLink">', GO),
        ("{{ subscriber.name }}", DJANGO),
        ("{{ content }}", DJANGO),
        ("{{ unsubscribe_url }}", DJANGO),
        ("{{ subscriber.name|upper }}", DJANGO),
        ('{{ subscriber.name|default:"friend" }}', DJANGO),
        ("{% if subscriber.name %}{{ subscriber.name }}{% endif %}", DJANGO),
        ("{# c #}{{ .Subscriber.Name }}", DJANGO),
        ("<p>no tags <!-- kept --></p>", DJANGO),
    ],
)
def test_it_picks_the_dialect(source, expected):
    assert dialect(source) == expected


def test_it_wraps_a_go_body_in_a_chosen_go_template():
    out = render(
        subject="Hi {{ .Subscriber.FirstName }} & co",
        body="<p>Hi {{ .Subscriber.Name }}</p>",
        template=GO_WRAPPER,
        template_body="<div>{{ content }}</div>",  # the chosen template wins
    )
    assert out.subject == "Hi Ann & co"
    assert out.html == (
        "<html><body><p>Hi Ann Marie &lt;b&gt;&amp;</p><p>Unsubscribe</p>"
        + PIXEL
        + "</body></html>"
    )
    assert out.text == "Hi Ann Marie <b>&\n\nUnsubscribe"


def test_it_wraps_a_django_body_in_a_go_template():
    out = render(body="<p>{{ subscriber.name }}</p>", template=GO_WRAPPER)
    assert out.html.startswith(
        "<html><body><p>Ann Marie &lt;b&gt;&amp;</p><p>Unsubscribe"
    )


def test_it_wraps_a_go_body_in_a_django_template():
    out = render(
        body="<p>{{ .Subscriber.FirstName }}</p>",
        template_body="<div>{{ content }}</div>",
    )
    assert out.html == "<div><p>Ann</p></div>"


def test_it_renders_plain_go_bodies_and_altbodies_unescaped():
    out = render(
        content_type="plain", body="Dear {{ .Subscriber.Name }}, {{ UnsubscribeURL }}"
    )
    assert out == type(out)(
        subject="",
        html="",
        text="Dear Ann Marie <b>&, https://x.test/subscription/c-uuid/5f1d-u1",
    )
    out = render(
        body="<p>x</p>", altbody="{{ .Subscriber.Name }} {{ .Subscriber.Attribs.nope }}"
    )
    assert out.text == "Ann Marie <b>& <no value>"


def test_it_keeps_go_subjects_on_one_line():
    r = Renderer(content_type="plain", body="", subject="{{ .Subscriber.Attribs.x }}")
    out = r.render(context({**SUB, "attribs": {"x": "a\r\nBcc: e@x"}}))
    assert out.subject == "a Bcc: e@x"


def test_it_renders_markdown_with_go_actions():
    out = render(
        content_type="markdown",
        body="Hello **{{ .Subscriber.FirstName }}**, [l](https://e.test/@TrackLink)",
    )
    assert out.html == (
        '<p>Hello <strong>Ann</strong>, <a href="https://x.test/link/L1/c-uuid/5f1d-u1'
        '?u=https://e.test/">l</a></p>'
    )


def test_it_gives_django_templates_the_new_links():
    body = "{{ message_url }}|{{ optin_url }}|{{ manage_url }}|{{ track_view }}"
    out = render(body=body)
    assert out.html == (
        "https://x.test/campaign/c-uuid/5f1d-u1|https://x.test/subscription/optin/5f1d-u1|"
        "https://x.test/subscription/c-uuid/5f1d-u1?manage=true|" + PIXEL
    )


def test_it_prints_nothing_for_tracking_when_off():
    r = Renderer(content_type="html", body="<p>{{ TrackView }}</p>")
    links = MailLinks(unsubscribe="https://x.test/u")
    from campaigns.rendering import build_context

    assert r.render(build_context(SUB, links=links)).html == "<p></p>"


def test_it_refuses_a_go_template_without_the_content():
    with pytest.raises(TemplateError, match="no {{ template"):
        Renderer(content_type="html", body="x", template="<html>{{ TrackView }}</html>")


def test_it_raises_template_errors_that_say_which_part():
    with pytest.raises(TemplateSyntaxError) as info:  # still a TemplateSyntaxError
        Renderer(content_type="html", body="ok", subject="{{ .Subscriber.Name")
    assert (info.value.part, info.value.line) == ("subject", 1)
    with pytest.raises(TemplateError) as info:
        Renderer(content_type="html", body="a\n{{ end }}", template=GO_WRAPPER)
    assert (info.value.part, info.value.line) == ("body", 2)
    r = Renderer(
        content_type="html", body="a\n\n{{ index .Subscriber.Attribs.tags 9 }}"
    )
    with pytest.raises(TemplateError) as info:
        r.render(context())
    assert str(info.value) == (
        "line 3: {{ index .Subscriber.Attribs.tags 9 }}: error calling index: index out of range: 9"
    )
    assert info.value.part == "body"


def test_it_renders_tx_templates():
    from campaigns.rendering import build_context

    r = Renderer(content_type="html", subject="Order {{ .Tx.Data.id }}",
                 body="<p>{{ .Tx.Data.total }} {{ .Tx.Data.items }}</p>")  # fmt: skip
    out = r.render(
        build_context(SUB, tx_data={"id": "A1", "total": 12, "items": ["x"]})
    )
    assert (out.subject, out.html) == ("Order A1", "<p>12 [x]</p>")


# --- check_template -------------------------------------------------------------------


def test_check_template_accepts_both_dialects():
    check_template(GO_WRAPPER, kind="campaign")
    check_template(
        '{{ define "body" }}<main>{{ template "content" . }}</main>{{ end }}'
        '{{ template "body" . }}',
        kind="campaign",
    )
    check_template("<div>{{ content }}</div>", kind="campaign")
    check_template("Hi {{ .Subscriber.Name }}", kind="subject")
    check_template("{% if subscriber.name %}x{% endif %}", kind="body")
    check_template("<p>{{ .Tx.Data.x }}</p>", kind="tx")


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("<html>{{ TrackView }}</html>", "does not contain it"),
        ('{{ template "content" . }}{{ template "content" . }}', "contains it 2 times"),
        ("<p>{{ content }}{{ content }}</p>", "contains it 2 times"),
        ("<p>no placeholder</p>", "does not contain it"),
    ],
)
def test_check_template_wants_the_content_exactly_once(source, found):
    with pytest.raises(TemplateError, match="exactly once") as info:
        check_template(source, kind="campaign")
    assert found in str(info.value)


def test_check_template_names_line_and_expression():
    with pytest.raises(TemplateError) as info:
        check_template("<p>\n{{ if .Subscriber.Name }}\n<b>{{ nope }}</b>{{ end }}")
    err = info.value
    assert (err.line, err.expression) == (3, "{{ nope }}")
    assert str(err) == 'line 3: {{ nope }}: function "nope" not defined'


def test_check_template_gives_the_line_of_django_errors():
    with pytest.raises(TemplateError) as info:
        check_template("<p>\n\n{% if %}x{% endif %}")
    assert info.value.line == 3
    assert info.value.expression == "{% if %}"


def test_check_template_refuses_unknown_kinds():
    with pytest.raises(ValueError, match="unknown template kind"):
        check_template("x", kind="nope")


def test_it_uses_links_for_the_default_unsubscribe_url():
    out = render(body='<a href="{{ UnsubscribeURL }}">u</a>')
    assert out.html == '<a href="' + LINKS.unsubscribe + '">u</a>'


def test_check_template_refuses_go_actions_in_a_django_template():
    with pytest.raises(TemplateError, match="use one language") as info:
        check_template("<p>\n{% if 1 %}{{ .Subscriber.Name }}{% endif %}")
    assert (info.value.line, info.value.expression) == (2, "{{ .Subscriber.Name }}")
