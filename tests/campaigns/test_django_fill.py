"""Django-syntax parts made only of text and {{ a.b.c }} are filled without
Django's machinery (dialects._fill): the output must be exactly Django's, and
anything the shortcut does not know goes to Django."""

from __future__ import annotations

import random

import pytest
from django.template import Context
from django.utils.safestring import mark_safe

from campaigns.dialects import Part, _fill

pytestmark = pytest.mark.django_db

VALUES = [
    "Ann", "", "O'Neil & <Sons>", 'say "hi"', "Zoë ✓", "a\nb", "{{ x }}", "{% y %}",
    mark_safe("<b>safe</b>"), 3, 2.5, None, True, [1, 2], {"k": "v"},
]  # fmt: skip


def _django(part: Part, ctx: dict) -> str:
    return part.django.render(Context(ctx, autoescape=part.html))


def _contexts(rng: random.Random, n: int):
    for _ in range(n):
        attribs = {"city": rng.choice(VALUES), "deep": {"x": rng.choice(VALUES)}}
        if rng.random() < 0.2:
            del attribs["city"]
        yield {
            "subscriber": {
                "name": rng.choice(VALUES),
                "email": "a@b.c",
                "attribs": attribs,
            },
            "campaign": {"name": rng.choice(VALUES)},
            "unsubscribe_url": "https://x.example/u?a=1&b=2",
        }


SOURCES = [
    "Hello {{ subscriber.name }}",
    "<p>Dear {{ subscriber.name }} of {{ subscriber.attribs.city }}</p>",
    "{{ subscriber.attribs.deep.x }}|{{ campaign.name }}|{{ unsubscribe_url }}",
    "{{ subscriber.missing.x }} and {{ nothing }}",
    "{{ subscriber.name.upper }}",  # a method: Django calls it, the shortcut does not
    "{{ subscriber.attribs.0 }}",
    "plain text, no variables at all < & >",
]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("html", [True, False])
def test_the_output_is_djangos(source, html):
    part = Part(source, html=html)
    assert part.pieces is not None
    for ctx in _contexts(random.Random(f"{source}{html}"), 300):
        assert part.render(ctx, None) == _django(part, ctx)


def test_strings_along_dict_keys_take_the_shortcut_and_are_escaped():
    part = Part("<p>{{ subscriber.name }}</p>", html=True)
    ctx = {"subscriber": {"name": "O'Neil & <Sons>"}}
    assert _fill(part.pieces, ctx, True) == "<p>O&#x27;Neil &amp; &lt;Sons&gt;</p>"
    assert _fill(part.pieces, {"subscriber": {"name": 3}}, True) is None  # Django's
    assert _fill(part.pieces, {"subscriber": {}}, True) is None


@pytest.mark.parametrize(
    "source",
    ["{{ subscriber.name|upper }}", "{% if x %}y{% endif %}", "{{ 5 }}",
     "{{ _('Hello') }}"],
)  # fmt: skip
def test_tags_filters_and_literals_stay_with_django(source):
    part = Part(source, html=True)
    assert part.pieces is None
    ctx = {"subscriber": {"name": "ann"}, "x": True, "a": "b"}
    assert part.render(ctx, None) == _django(part, ctx)


def test_a_wrappers_content_is_inserted_unescaped():
    part = Part("<div>{{ content }}</div>", html=True)
    assert part.render({}, None, content="<p>body &amp; more</p>") == (
        "<div><p>body &amp; more</p></div>"
    )
