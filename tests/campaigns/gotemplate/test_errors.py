"""Errors name the line and the action, at compile time and at render time."""

from __future__ import annotations

import pytest

from campaigns.gotemplate import GoTemplate, GoTemplateError
from tests.campaigns.gotemplate.helpers import go

COMPILE = [
    ("a\nb {{ .Subscriber.Name ", 2, "unclosed action"),
    ("x\n\n{{ nope .Subscriber.Name }}", 3, 'function "nope" not defined'),
    ("{{ if .Subscriber.Name }}\n{{ end }}\n{{ end }}", 3, "unexpected {{end}}"),
    ("{{ range .Subscriber.Attribs.tags }}\nx", 1, "missing {{ end }}"),
    ("\n{{ else }}", 2, "unexpected {{else}}"),
    ("{{ $x }}", 1, "undefined variable '$x'"),
    ('{{ "abc }}', 1, "unterminated quoted string"),
    ("{{ if }}{{ end }}", 1, "missing value for if"),
    ("{{ .A | }}", 1, "missing command after |"),
    ('{{ template "nope" . }}', 1, 'no such template "nope"'),
    ("{{ /* open", 1, "unclosed comment"),
    ('{{ define "a" }}{{ end }}{{ define "a" }}{{ end }}', 1, 'template "a" redefined'),
    ("{{ break }}", 1, "{{break}} outside {{range}}"),
    ("{{ 12abc }}", 1, "bad number syntax"),
    ('{{ "a" "b" }}', 1, "can't give argument to non-function"),
    ("{{ nil }}", 1, "nil is not a command"),
    ("{{ ( .A }}", 1, "unclosed left paren"),
]


@pytest.mark.parametrize(("source", "line", "message"), COMPILE)
def test_it_says_where_a_template_does_not_compile(source, line, message):
    with pytest.raises(GoTemplateError) as info:
        GoTemplate(source)
    assert info.value.line == line
    assert message in info.value.message


def test_it_formats_render_errors_with_line_and_expression():
    with pytest.raises(GoTemplateError) as info:
        go("<p>\nHello\n{{ .Subscriber.Foo }}</p>")
    err = info.value
    assert (err.line, err.expression) == (3, "{{ .Subscriber.Foo }}")
    assert str(err) == (
        "line 3: {{ .Subscriber.Foo }}: can't evaluate field Foo in type models.Subscriber"
    )


RENDER = [
    (
        "{{ index .Subscriber.Attribs.tags 5 }}",
        "error calling index: index out of range: 5",
    ),
    ("{{ lower }}", "wrong number of args for lower: want 1 got 0"),
    ("{{ TrackLink }}", "wrong number of args for TrackLink: want at least 1 got 0"),
    ("{{ lt .Subscriber.Name 3 }}", "incompatible types for comparison"),
    (
        "{{ .Subscriber.Attribs.null.deeper }}",
        "nil pointer evaluating interface {}.deeper",
    ),
    ("{{ len 3 }}", "len of type int"),
    ("{{ len .Subscriber }}", "len of type models.Subscriber"),
    ("{{ div 1 0 }}", "divide by zero"),
    ('{{ L.T "a" "b" }}', "wrong number of args for T"),
]


@pytest.mark.parametrize(("source", "message"), RENDER)
def test_it_says_why_a_render_failed(source, message):
    with pytest.raises(GoTemplateError) as info:
        go("line one\n" + source)
    assert info.value.line == 2
    assert info.value.expression == source
    assert message in info.value.message


def test_it_names_the_block_action_of_a_failing_range():
    with pytest.raises(GoTemplateError) as info:
        go("{{ range .Subscriber }}x{{ end }}")
    assert info.value.expression == "{{ range .Subscriber }}"
    assert "range can't iterate over models.Subscriber" in info.value.message
