"""Admin-written content renders in its own Django engine: no files, no tag
libraries beyond Django's built-ins."""

from __future__ import annotations

import pytest
from django.template import TemplateDoesNotExist

from campaigns.rendering import Renderer, TemplateError, check_template


def _render(body: str) -> str:
    return Renderer(content_type="html", body=body).render({"subscriber": {}}).html


def test_include_of_a_site_template_is_refused():
    # The site engine would print the admin's login page into the mail.
    with pytest.raises(TemplateDoesNotExist) as err:
        _render('{% include "login.html" %}')
    assert "login.html" in str(err.value)
    assert "csrfmiddlewaretoken" not in str(err.value)


def test_extends_of_a_site_template_is_refused():
    with pytest.raises(TemplateDoesNotExist):
        _render('{% extends "base.html" %}')


def test_site_tag_libraries_cannot_be_loaded():
    with pytest.raises(TemplateError):
        check_template("{% load static %}{% static 'x.css' %}")


def test_builtin_tags_and_filters_still_work():
    html = _render("{% if 1 %}{{ 'a<b'|upper }}{% endif %}")
    assert html == "A&lt;B"
