"""The settings pages' routes do not depend on the order of the includes."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

SAMPLES = {
    "uuid": str(uuid.UUID(int=1)),
    "int": "7",
    "registry_section": "general",
    "slug": "x",
    "str": "x",
    "path": "x",
}


def _paths(patterns, prefix=""):
    """Every route under the given patterns, with a sample value per converter."""
    for p in patterns:
        route = str(p.pattern)
        for name, converter in p.pattern.converters.items():
            kind = next(k for k, c in _converters().items() if c is type(converter))
            route = route.replace(f"<{kind}:{name}>", SAMPLES[kind])
        if isinstance(p, URLResolver):
            yield from _paths(p.url_patterns, prefix + route)
        elif isinstance(p, URLPattern):
            yield prefix + route


def _converters():
    from django.urls.converters import get_converters

    return {k: type(v) for k, v in get_converters().items()}


def _settings_paths():
    return sorted(
        f"/{p}" for p in _paths(get_resolver().url_patterns) if p.startswith("settings")
    )


def test_every_settings_page_resolves_the_same_with_the_includes_reversed():
    paths = _settings_paths()
    assert "/settings/general" in paths
    assert "/settings/bounces/mailboxes" in paths
    for path in paths:
        here = resolve(path)
        there = resolve(path, urlconf="tests.stmails.reversed_urls")
        assert (here.view_name, here.kwargs) == (there.view_name, there.kwargs), path


@pytest.mark.parametrize(
    ("path", "view_name"),
    [
        ("/settings/general", "settings:section"),
        ("/settings/alerts", "settings:section"),
        ("/settings/bounces", "bounce_settings:index"),
        ("/settings/probe", "probe:settings"),
        ("/settings/smtp", "settings:smtp"),
    ],
)
def test_a_registry_section_takes_only_its_own_slug(path, view_name):
    assert resolve(path).view_name == view_name


def test_an_unknown_settings_page_is_not_found():
    with pytest.raises(Resolver404):
        resolve("/settings/no-such-page")
