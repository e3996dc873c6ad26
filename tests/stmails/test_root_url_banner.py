"""Admins are warned when they reach stmails at another address than Root URL."""

from __future__ import annotations

import pytest

from stmails.config import update_settings

pytestmark = pytest.mark.django_db


def test_it_warns_when_pages_come_from_another_origin(client_alice):
    update_settings({"app.root_url": "http://127.0.0.1:9000"})
    page = client_alice.get("/subscribers/", HTTP_HOST="127.0.0.1:9101")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="root-url-warning"' in html
    assert "http://127.0.0.1:9000" in html and "http://127.0.0.1:9101" in html


def test_it_says_nothing_when_root_url_is_where_the_page_came_from(client_alice):
    update_settings({"app.root_url": "http://127.0.0.1:9101/"})
    page = client_alice.get("/subscribers/", HTTP_HOST="127.0.0.1:9101")
    assert page.status_code == 200
    assert 'id="root-url-warning"' not in page.content.decode()


def test_visitors_who_are_not_logged_in_never_see_it(client):
    update_settings({"app.root_url": "http://127.0.0.1:9000"})
    page = client.get("/login/", HTTP_HOST="127.0.0.1:9101", follow=True)
    assert 'id="root-url-warning"' not in page.content.decode()
