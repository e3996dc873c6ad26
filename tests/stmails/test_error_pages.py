"""Error pages look like the rest of the admin and lead somewhere."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_missing_page_has_the_navigation(client_alice):
    r = client_alice.get("/no/such/page/")
    assert r.status_code == 404
    html = r.content.decode()
    assert "Page not found" in html and 'class="topbar"' in html
    assert 'href="/subscribers/"' in html and "img/favicon.svg" in html


def test_a_visitor_who_is_not_logged_in_is_offered_the_login(client, alice):
    r = client.get("/no/such/page/")
    assert r.status_code == 404
    html = r.content.decode()
    assert "Page not found" in html and 'href="/login"' in html


def test_a_stale_form_says_what_to_do_instead_of_mentioning_debug(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    r = client.post("/lists/new", {"name": "x"})
    assert r.status_code == 403
    html = r.content.decode()
    assert "The form expired" in html and "reload the page" in html
    assert "DEBUG" not in html and 'class="topbar"' in html


def test_the_500_page_needs_no_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        html = render_to_string("500.html")
    assert "Something went wrong" in html and 'href="/health/status"' in html
