"""Seeded fuzzing: random templates raise GoTemplateError or render, nothing else."""

from __future__ import annotations

import random

from campaigns.gotemplate import GoTemplateError
from campaigns.rendering import Renderer, TemplateError
from tests.campaigns.gotemplate.helpers import NOW, context, go

FRAGMENTS = [
    "{{", "}}", "{{- ", " -}}", " ", "\n", ".", ".Subscriber", ".Name", ".Attribs", ".tags",
    ".city", ".Campaign", ".Tx.Data", "$", "$x", "$i", ":=", "=", ",", "|", "(", ")", '"a"',
    '"https://e.test/?q=1"', "`raw`", "'c'", "1", "-2", "3.5", "0x1f", "true", "nil", "if",
    "else", "end", "range", "with", "define", "block", "template", '"content"', "break",
    "continue", "/*", "*/", "eq", "ne", "lt", "and", "or", "not", "len", "index", "slice",
    "printf", '"%d %s %v %q %x %5.2f"', "print", "html", "js", "urlquery", "default",
    "upper", "title", "repeat", "substr", "trunc", "split", "splitList", "join", "toJson",
    "dict", "list", "date", "dateInZone", "now", "add", "div", "mod", "Date", "Safe",
    "TrackLink", "TrackView", "UnsubscribeURL", "L.T", '"email.unsub"', "<a href=\"",
    '">', "<script>", "</script>", "<style>", "<!--", "-->", "'", "<p title=", ">", "@TrackLink",
    "https://x.test/", "{%", "%}", "{{ content }}",
]  # fmt: skip


def random_source(rng: random.Random) -> str:
    return "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 30)))


def test_random_templates_fail_only_with_template_errors():
    rng = random.Random(1717)
    rendered = 0
    for _ in range(3000):
        source = random_source(rng)
        for html in (True, False):
            try:
                go(source, html=html)
                rendered += 1
            except GoTemplateError:
                pass
    assert rendered > 100  # the generator does make valid templates too


def test_random_templates_through_the_renderer_fail_only_with_template_errors():
    rng = random.Random(4242)
    for _ in range(1500):
        body, wrapper = random_source(rng), random_source(rng)
        try:
            r = Renderer(content_type="html", subject=body, body=body,
                         template=wrapper, clock=lambda: NOW)  # fmt: skip
            r.render(context())
        except TemplateError:
            pass


def test_structured_random_templates_render():
    # Well-formed nestings of the constructs: these must all render.
    rng = random.Random(99)
    pieces = [
        "{{ .Subscriber.FirstName }}", "{{ upper .Subscriber.Attribs.city }}",
        "{{ range $i, $t := .Subscriber.Attribs.tags }}[{{ $i }}{{ $t }}]{{ end }}",
        '{{ if eq .Subscriber.Attribs.city "X" }}x{{ else }}y{{ end }}',
        "{{ with .Subscriber.Attribs.nested }}{{ .plan.name }}{{ end }}",
        '<a href="{{ TrackLink "https://e.test/" }}">l</a>', "{{ TrackView }}",
        '{{ Date "2006" }}', "<b>text</b>", '{{ printf "%05d" 42 }}',
    ]  # fmt: skip
    for _ in range(500):
        source = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        assert isinstance(go(source), str)
