"""A template reaches only the documented objects and runs within bounds."""

from __future__ import annotations

import pytest

from campaigns.gotemplate import GoTemplateError
from campaigns.gotemplate.evaluator import MAX_OUTPUT, MAX_STEPS
from tests.campaigns.gotemplate.helpers import go


@pytest.mark.parametrize(
    "source",
    [
        "{{ .Subscriber.__class__ }}",
        "{{ .Subscriber.__dict__ }}",
        "{{ .Subscriber.go_type }}",
        "{{ .Subscriber.Email.upper }}",
        "{{ .Subscriber.Email.__len__ }}",
        "{{ .Subscriber.Attribs.projects.real }}",
        "{{ L.STRINGS }}",
        "{{ L.__init__ }}",
        "{{ .Subscriber.CreatedAt.value }}",
        "{{ .Subscriber.CreatedAt.tzinfo }}",
        '{{ (Date "2006").__class__ }}',
        "{{ .Campaign.Body }}",
    ],
)
def test_it_refuses_anything_but_documented_fields(source):
    with pytest.raises(GoTemplateError, match="can't evaluate field|nil pointer"):
        go(source)


def test_it_calls_only_the_listed_methods():
    with pytest.raises(GoTemplateError, match="wrong number of args for T"):
        go("{{ L.T.__globals__ }}")  # T is called (without its key), nothing is read


def test_it_reads_map_keys_but_no_python_attributes_of_maps():
    # Attribs is a Go map: an absent key is simply empty, never a Python attribute.
    assert (
        go("[{{ .Subscriber.Attribs.__class__ }}{{ .Subscriber.Attribs.keys }}]")
        == "[]"
    )


def test_it_offers_no_dangerous_functions():
    for name in ("env", "expandenv", "exec", "getHostByName", "readFile", "call"):
        with pytest.raises(GoTemplateError, match="not defined"):
            go("{{ " + name + ' "x" }}')


def test_it_caps_the_output():
    src = '{{ range splitList "," (repeat 30000 "a,") }}{{ repeat 100 "x" }}{{ end }}'
    with pytest.raises(GoTemplateError, match=f"output exceeds {MAX_OUTPUT:,}"):
        go(src)


def test_it_caps_one_huge_string():
    with pytest.raises(GoTemplateError, match="repeat: result exceeds"):
        go('{{ repeat 2000000 "xx" }}')


def test_it_bounds_the_work_of_nested_ranges():
    src = (
        '{{ $l := splitList "," (repeat 1000 ",") }}'
        "{{ range $l }}{{ range $l }}{{ end }}{{ end }}"
    )
    with pytest.raises(GoTemplateError, match=f"over {MAX_STEPS:,} steps"):
        go(src)


def test_it_bounds_recursion():
    src = '{{ define "r" }}x{{ template "r" . }}{{ end }}{{ template "r" . }}'
    with pytest.raises(GoTemplateError, match="maximum template depth"):
        go(src)


def test_it_bounds_range_over_a_huge_number():
    with pytest.raises(GoTemplateError, match="steps"):
        go("{{ range 100000000 }}{{ end }}")


def test_it_wraps_integers_like_go_instead_of_growing_them():
    src = "{{ $x := 3 }}{{ range 200 }}{{ $x = mul $x $x }}{{ end }}{{ lt $x 10000000000000000000 }}"
    assert go(src) == "true"  # int64 arithmetic: the product never grows past 2**63


def test_it_refuses_templates_nested_too_deeply():
    deep = "{{ if 1 }}" * 2000 + "x" + "{{ end }}" * 2000
    with pytest.raises(GoTemplateError, match="nests too deeply"):
        go(deep)
    with pytest.raises(GoTemplateError, match="nests too deeply"):
        go("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}")
