"""The lists admin pages: /lists/..."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from subscribers.models import MailingList, Subscription

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url", ["/lists/", "/lists/new", "/lists/{pk}/", "/lists/{pk}/edit"]
)
def test_it_redirects_anonymous_users_to_login(alice, make_list, url):
    lst = make_list()
    r = Client().get(url.format(pk=lst.pk))
    assert r.status_code == 302
    assert r["Location"].startswith("/login")


def test_it_refuses_anonymous_deletes(alice, make_list):
    lst = make_list()
    assert Client().post(f"/lists/{lst.pk}/delete").status_code == 302
    assert MailingList.objects.filter(pk=lst.pk).exists()


def test_it_renders_every_page(client_alice, make_list):
    lst = make_list("Monthly", type="public", optin="double", tags=["news"])
    r = client_alice.get("/lists/")
    assert r.status_code == 200
    body = r.content.decode()
    assert (
        "Monthly" in body
        and 'class="badge public"' in body
        and 'class="badge double"' in body
    )
    r = client_alice.get(f"/lists/{lst.pk}/")
    assert r.status_code == 200
    assert f'href="/subscribers/?list_id={lst.pk}"' in r.content.decode()
    assert client_alice.get("/lists/new").status_code == 200
    r = client_alice.get(f"/lists/{lst.pk}/edit")
    assert r.status_code == 200 and b'value="Monthly"' in r.content
    assert client_alice.get("/lists/999999/").status_code == 404


def test_it_counts_members_per_status_in_one_query(
    client_alice, make_list, make_subscriber
):
    a, b = make_list("A"), make_list("B")
    statuses = ["confirmed", "confirmed", "unconfirmed", "unsubscribed"]
    for status in statuses:
        Subscription.objects.create(subscriber=make_subscriber(), list=a, status=status)
    Subscription.objects.create(
        subscriber=make_subscriber(), list=b, status="unconfirmed"
    )
    with CaptureQueriesContext(connection) as queries:
        r = client_alice.get("/lists/")
    counts = {
        lst.name: (lst.unconfirmed, lst.confirmed, lst.unsubscribed)
        for lst in r.context["lists"]
    }
    assert counts == {"A": (1, 2, 1), "B": (1, 0, 0)}
    list_queries = [q for q in queries.captured_queries if '"lists"' in q["sql"]]
    assert len(list_queries) == 1
    assert f"?list_id={a.pk}&amp;subscription_status=confirmed" in r.content.decode()


def test_it_creates_a_list(client_alice):
    r = client_alice.post(
        "/lists/new",
        {
            "name": " Weekly ",
            "type": "public",
            "optin": "double",
            "tags": "a, b",
            "description": "Hi",
        },
    )
    assert r.status_code == 302 and r["Location"] == "/lists/"
    lst = MailingList.objects.get()
    assert (lst.name, lst.type, lst.optin, lst.tags, lst.description) == (
        "Weekly",
        "public",
        "double",
        ["a", "b"],
        "Hi",
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "type": "public", "optin": "single"}, "name"),
        ({"name": "   ", "type": "public", "optin": "single"}, "name"),
        ({"name": "X", "type": "secret", "optin": "single"}, "type"),
        ({"name": "X", "type": "public", "optin": "triple"}, "optin"),
    ],
)
def test_it_shows_list_errors_beside_the_field(client_alice, data, field):
    r = client_alice.post("/lists/new", data)
    assert r.status_code == 400
    assert field in r.context["form"].errors
    assert f'id="id_{field}-error"'.encode() in r.content
    assert not MailingList.objects.exists()


def test_it_edits_a_list(client_alice, make_list):
    lst = make_list("Old")
    r = client_alice.post(
        f"/lists/{lst.pk}/edit",
        {
            "name": "New",
            "type": "private",
            "optin": "double",
            "tags": "",
            "description": "",
        },
    )
    assert r.status_code == 302 and r["Location"] == f"/lists/{lst.pk}/"
    lst.refresh_from_db()
    assert (lst.name, lst.optin) == ("New", "double")


def test_it_deletes_a_list_but_keeps_its_subscribers(
    client_alice, make_list, make_subscriber
):
    lst = make_list()
    s = make_subscriber()
    Subscription.objects.create(subscriber=s, list=lst, status="confirmed")
    assert client_alice.get(f"/lists/{lst.pk}/delete").status_code == 405
    r = client_alice.post(f"/lists/{lst.pk}/delete")
    assert r.status_code == 302 and r["Location"] == "/lists/"
    assert not MailingList.objects.exists()
    assert not Subscription.objects.exists()
    s.refresh_from_db()
