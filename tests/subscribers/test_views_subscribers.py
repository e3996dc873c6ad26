"""The subscribers admin pages: /subscribers/..."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from subscribers.models import Subscriber, Subscription

pytestmark = pytest.mark.django_db


def sub_status(subscriber, lst) -> str | None:
    row = Subscription.objects.filter(subscriber=subscriber, list=lst).first()
    return row.status if row else None


# --- access ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/subscribers/",
        "/subscribers/new",
        "/subscribers/{pk}/",
        "/subscribers/{pk}/edit",
    ],
)
def test_it_redirects_anonymous_users_to_login(alice, make_subscriber, url):
    s = make_subscriber()
    r = Client().get(url.format(pk=s.pk))
    assert r.status_code == 302
    assert r["Location"].startswith("/login")


@pytest.mark.parametrize(
    "url", ["/subscribers/{pk}/delete", "/subscribers/{pk}/blocklist"]
)
def test_it_refuses_anonymous_posts(alice, make_subscriber, url):
    s = make_subscriber()
    r = Client().post(url.format(pk=s.pk))
    assert r.status_code == 302
    s.refresh_from_db()
    assert s.status == Subscriber.Status.ENABLED


def test_it_renders_every_page(client_alice, make_subscriber, make_list):
    lst = make_list("Weekly")
    s = make_subscriber("ann@example.com", attribs={"city": "Berlin"})
    Subscription.objects.create(subscriber=s, list=lst, status="confirmed")
    r = client_alice.get("/subscribers/")
    assert r.status_code == 200
    assert b"ann@example.com" in r.content and b"Weekly" in r.content
    assert b"New subscriber" in r.content
    r = client_alice.get(f"/subscribers/{s.pk}/")
    assert r.status_code == 200
    assert b"&quot;city&quot;: &quot;Berlin&quot;" in r.content
    assert b"Weekly" in r.content
    assert client_alice.get("/subscribers/new").status_code == 200
    r = client_alice.get(f"/subscribers/{s.pk}/edit")
    assert r.status_code == 200
    assert b'value="ann@example.com"' in r.content
    assert client_alice.get("/subscribers/999999/").status_code == 404


def test_it_requires_csrf_on_posts(alice, make_subscriber):
    s = make_subscriber()
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(f"/subscribers/{s.pk}/delete").status_code == 403
    assert Subscriber.objects.filter(pk=s.pk).exists()


# --- create and edit --------------------------------------------------------------


def test_it_creates_a_subscriber_with_lists(client_alice, make_list):
    single, double = make_list("Single"), make_list("Double", optin="double")
    r = client_alice.post(
        "/subscribers/new",
        {
            "email": "Bob@Example.COM",
            "name": "Bob",
            "status": "enabled",
            "attribs": '{"plan": "pro"}',
            "lists": [single.pk, double.pk],
        },
    )
    s = Subscriber.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/subscribers/{s.pk}/"
    assert s.email == "Bob@example.com"
    assert s.attribs == {"plan": "pro"}
    assert sub_status(s, single) == "confirmed"
    assert sub_status(s, double) == "unconfirmed"


def test_it_preconfirms_double_optin_lists(client_alice, make_list):
    double = make_list("Double", optin="double")
    client_alice.post(
        "/subscribers/new",
        {
            "email": "c@example.com",
            "status": "enabled",
            "lists": [double.pk],
            "preconfirm": "on",
        },
    )
    assert sub_status(Subscriber.objects.get(), double) == "confirmed"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "invalid email address"),
        ({"email": "dup@example.com"}, "email", "already subscribed"),
        (
            {"email": "ok@example.com", "attribs": "[1, 2]"},
            "attribs",
            "must be a JSON object",
        ),
        (
            {"email": "ok@example.com", "attribs": "{oops"},
            "attribs",
            "must be a JSON object",
        ),
    ],
)
def test_it_shows_errors_beside_the_field_and_writes_nothing(
    client_alice, make_subscriber, make_list, data, field, message
):
    make_subscriber("DUP@example.com")
    lst = make_list()
    r = client_alice.post(
        "/subscribers/new", {"status": "enabled", "lists": [lst.pk], **data}
    )
    assert r.status_code == 400
    errors = r.context["form"].errors
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert f'id="id_{field}-error"'.encode() in r.content
    assert Subscriber.objects.count() == 1
    assert Subscription.objects.count() == 0


def test_it_shows_every_field_error_at_once(client_alice):
    r = client_alice.post(
        "/subscribers/new", {"email": "nope", "status": "enabled", "attribs": "1"}
    )
    assert set(r.context["form"].errors) == {"email", "attribs"}
    assert not Subscriber.objects.exists()


def test_it_edits_a_subscriber(client_alice, make_subscriber, make_list):
    keep, drop, add = make_list("Keep"), make_list("Drop"), make_list("Add")
    s = make_subscriber("e@example.com")
    Subscription.objects.create(subscriber=s, list=keep, status="unsubscribed")
    Subscription.objects.create(subscriber=s, list=drop, status="confirmed")
    r = client_alice.post(
        f"/subscribers/{s.pk}/edit",
        {
            "email": "e2@example.com",
            "name": "Eve",
            "status": "disabled",
            "attribs": '{"a": 1}',
            "lists": [keep.pk, add.pk],
        },
    )
    assert r.status_code == 302
    s.refresh_from_db()
    assert (s.email, s.name, s.status, s.attribs) == (
        "e2@example.com",
        "Eve",
        "disabled",
        {"a": 1},
    )
    assert sub_status(s, keep) == "unsubscribed"
    assert sub_status(s, drop) is None
    assert sub_status(s, add) == "confirmed"


def test_it_rejects_an_edit_to_a_taken_email(client_alice, make_subscriber):
    make_subscriber("taken@example.com")
    s = make_subscriber("mine@example.com", name="Mine")
    r = client_alice.post(
        f"/subscribers/{s.pk}/edit",
        {"email": "TAKEN@example.com", "name": "Changed", "status": "enabled"},
    )
    assert r.status_code == 400
    assert "already subscribed" in r.context["form"].errors["email"][0]
    s.refresh_from_db()
    assert (s.email, s.name) == ("mine@example.com", "Mine")


# --- detail page actions ---------------------------------------------------------


def test_it_blocklists_from_the_detail_page(client_alice, make_subscriber, make_list):
    lst = make_list()
    s = make_subscriber()
    Subscription.objects.create(subscriber=s, list=lst, status="confirmed")
    r = client_alice.post(f"/subscribers/{s.pk}/blocklist")
    assert r.status_code == 302
    s.refresh_from_db()
    assert s.status == "blocklisted"
    assert sub_status(s, lst) == "unsubscribed"


def test_it_deletes_from_the_detail_page(client_alice, make_subscriber):
    s = make_subscriber()
    r = client_alice.post(f"/subscribers/{s.pk}/delete")
    assert r.status_code == 302 and r["Location"] == "/subscribers/"
    assert not Subscriber.objects.filter(pk=s.pk).exists()
    assert client_alice.get(f"/subscribers/{s.pk}/delete").status_code == 405


def test_it_changes_memberships_from_the_detail_page(
    client_alice, make_subscriber, make_list
):
    lst = make_list(optin="double")
    s = make_subscriber()
    url = f"/subscribers/{s.pk}/lists"
    client_alice.post(url, {"action": "add", "list": lst.pk})
    assert sub_status(s, lst) == "unconfirmed"
    client_alice.post(url, {"action": "unsubscribe", "list": lst.pk})
    assert sub_status(s, lst) == "unsubscribed"
    client_alice.post(url, {"action": "add", "list": lst.pk, "status": "confirmed"})
    assert sub_status(s, lst) == "confirmed"
    client_alice.post(url, {"action": "remove", "list": lst.pk})
    assert sub_status(s, lst) is None
    r = client_alice.post(url, {"action": "add", "list": 99999}, follow=True)
    assert sub_status(s, lst) is None
    assert "msg error" in r.content.decode()


# --- index: filters, pagination, bulk actions ------------------------------------


def emails_on(response) -> list[str]:
    return [s.email for s in response.context["page"]]


def test_it_filters_subscribers(client_alice, make_subscriber, make_list):
    lst = make_list()
    a = make_subscriber("anna@example.com", name="Anna")
    make_subscriber("ben@example.com", status="blocklisted")
    c = make_subscriber("carl@example.com")
    Subscription.objects.create(subscriber=a, list=lst, status="confirmed")
    Subscription.objects.create(subscriber=c, list=lst, status="unsubscribed")
    assert emails_on(client_alice.get("/subscribers/?search=ann")) == [
        "anna@example.com"
    ]
    assert emails_on(client_alice.get("/subscribers/?status=blocklisted")) == [
        "ben@example.com"
    ]
    r = client_alice.get(f"/subscribers/?list_id={lst.pk}&order_by=email&order=asc")
    assert emails_on(r) == ["anna@example.com", "carl@example.com"]
    r = client_alice.get(
        f"/subscribers/?list_id={lst.pk}&subscription_status=unsubscribed"
    )
    assert emails_on(r) == ["carl@example.com"]
    # The export link carries the filters.
    assert (
        f'href="/subscribers/export?list_id={lst.pk}&amp;subscription_status=unsubscribed"'
        in (r.content.decode())
    )


def test_it_reports_a_bad_filter(client_alice, make_subscriber):
    make_subscriber()
    r = client_alice.get("/subscribers/?list_id=424242")
    assert r.status_code == 200
    assert emails_on(r) == []
    assert b"alert error" in r.content


def test_it_orders_by_column(client_alice, make_subscriber):
    for email in ("b@example.com", "c@example.com", "a@example.com"):
        make_subscriber(email)
    r = client_alice.get("/subscribers/?order_by=email&order=desc")
    assert emails_on(r) == ["c@example.com", "b@example.com", "a@example.com"]
    # The active column's link flips the direction.
    assert "?order_by=email&amp;order=asc" in r.content.decode()


def test_it_paginates_by_50(client_alice):
    Subscriber.objects.bulk_create(
        Subscriber(email=f"p{i:03}@example.com", name=f"p{i}") for i in range(120)
    )
    r = client_alice.get("/subscribers/?order_by=email&order=asc")
    page = r.context["page"]
    assert (
        len(page) == 50
        and page.paginator.count == 120
        and page.paginator.num_pages == 3
    )
    body = r.content.decode()
    assert "?order_by=email&amp;order=asc&amp;page=3" in body
    assert "1–50 of 120" in body
    r = client_alice.get("/subscribers/?order_by=email&order=asc&page=3")
    assert emails_on(r)[0] == "p100@example.com" and len(r.context["page"]) == 20
    # A page past the end shows the last one rather than failing.
    assert client_alice.get("/subscribers/?page=99").context["page"].number == 3


def test_it_blocklists_and_deletes_in_bulk(client_alice, make_subscriber):
    a, b, c = make_subscriber(), make_subscriber(), make_subscriber()
    r = client_alice.post(
        "/subscribers/bulk",
        {
            "ids": [a.pk, b.pk],
            "action": "blocklist",
            "next": "/subscribers/?status=enabled",
        },
    )
    assert r.status_code == 302 and r["Location"] == "/subscribers/?status=enabled"
    statuses = dict(Subscriber.objects.values_list("id", "status"))
    assert statuses == {a.pk: "blocklisted", b.pk: "blocklisted", c.pk: "enabled"}
    client_alice.post("/subscribers/bulk", {"ids": [a.pk, c.pk], "action": "delete"})
    assert list(Subscriber.objects.values_list("id", flat=True)) == [b.pk]


def test_it_adds_and_removes_lists_in_bulk(client_alice, make_subscriber, make_list):
    lst = make_list()
    a, b = make_subscriber(), make_subscriber()
    client_alice.post(
        "/subscribers/bulk", {"ids": [a.pk, b.pk], "action": "add", "list": lst.pk}
    )
    assert sub_status(a, lst) == sub_status(b, lst) == "confirmed"
    client_alice.post(
        "/subscribers/bulk", {"ids": [a.pk], "action": "unsubscribe", "list": lst.pk}
    )
    assert sub_status(a, lst) == "unsubscribed"
    client_alice.post(
        "/subscribers/bulk", {"ids": [b.pk], "action": "remove", "list": lst.pk}
    )
    assert sub_status(b, lst) is None


@pytest.mark.parametrize(
    "data",
    [
        {"action": "delete"},  # nothing checked
        {"ids": ["{a}"]},  # no action
        {"ids": ["x"], "action": "delete"},
        {"ids": ["{a}"], "action": "add"},  # no list
        {"ids": ["{a}"], "action": "explode"},
    ],
)
def test_it_rejects_bad_bulk_requests(client_alice, make_subscriber, data):
    a = make_subscriber()
    if "ids" in data:
        data = {**data, "ids": [v.format(a=a.pk) for v in data["ids"]]}
    r = client_alice.post("/subscribers/bulk", data, follow=True)
    assert r.status_code == 200
    assert "msg error" in r.content.decode()
    assert Subscriber.objects.filter(pk=a.pk, status="enabled").exists()
    assert Subscription.objects.count() == 0


def test_it_ignores_an_offsite_next(client_alice, make_subscriber):
    a = make_subscriber()
    r = client_alice.post(
        "/subscribers/bulk",
        {"ids": [a.pk], "action": "delete", "next": "https://evil.example/"},
    )
    assert r["Location"] == "/subscribers/"


def test_it_keeps_attribs_as_pretty_json_on_the_edit_form(
    client_alice, make_subscriber
):
    s = make_subscriber(attribs={"city": "Zürich", "n": [1, 2]})
    r = client_alice.get(f"/subscribers/{s.pk}/edit")
    assert json.loads(r.context["form"].initial["attribs"]) == {
        "city": "Zürich",
        "n": [1, 2],
    }
