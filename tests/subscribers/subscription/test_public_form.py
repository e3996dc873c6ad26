"""GET/POST /subscription/form: the public subscription page."""

from __future__ import annotations

import pytest
from django.test import Client

from stmails.config import update_settings
from subscribers import ratelimit
from subscribers.models import Subscriber, Subscription
from tests.subscribers.subscription.optin_helpers import optin_mails

pytestmark = pytest.mark.django_db

URL = "/subscription/form"


def post(client, email="ann@example.com", lists=(), follow=True, **extra):
    """The answer a browser shows: a success redirects to the result page."""
    data = {"email": email, "name": "Ann", "l": [str(lst.uuid) for lst in lists]}
    data.update(extra)
    return client.post(URL, data, follow=follow)


def status_of(email, lst):
    return Subscription.objects.get(subscriber__email=email, list=lst).status


def test_it_shows_public_lists_only(client, double_list, single_list, private_double):
    r = client.get(URL)

    assert r.status_code == 200
    html = r.content.decode()
    assert str(double_list.uuid) in html and str(single_list.uuid) in html
    assert str(private_double.uuid) not in html
    assert 'name="nonce"' in html


def test_it_is_404_when_the_page_is_disabled(client, single_list):
    update_settings({"app.enable_public_subscription_page": False})

    assert client.get(URL).status_code == 404
    assert post(client, lists=[single_list]).status_code == 404
    assert not Subscriber.objects.exists()


def test_a_subscription_redirects_to_its_result_and_a_reload_does_not_resend(
    client, double_list
):
    r = post(client, lists=[double_list], follow=False)

    assert r.status_code == 302
    assert r["Location"] == URL + "?done=1"
    page = client.get(r["Location"]).content.decode()
    assert "We have received your subscription request for ann@example.com." in page
    assert "a link is on its way" in page
    # Reloading the result page is a GET: no second subscription mail.
    assert "We have received" in client.get(r["Location"]).content.decode()
    assert optin_mails("ann@example.com").count() == 1


def test_a_single_opt_in_list_confirms_at_once(client, single_list):
    r = post(client, lists=[single_list])

    assert r.status_code == 200
    assert status_of("ann@example.com", single_list) == "confirmed"
    assert "We have received your subscription request" in r.content.decode()
    assert not optin_mails().exists()


def test_a_double_opt_in_list_waits_and_mails_a_link(client, double_list, single_list):
    r = post(client, lists=[double_list, single_list])

    assert r.status_code == 200
    assert status_of("ann@example.com", double_list) == "unconfirmed"
    assert status_of("ann@example.com", single_list) == "confirmed"
    assert "a link is on its way" in r.content.decode()
    assert optin_mails("ann@example.com").count() == 1
    sub = Subscription.objects.get(
        subscriber__email="ann@example.com", list=double_list
    )
    assert sub.meta == {"optin_ip": "127.0.0.1"}


def test_it_does_not_claim_a_mail_went_out_when_confirmations_are_off(
    client, double_list
):
    update_settings({"app.send_optin_confirmation": False})

    html = post(client, lists=[double_list]).content.decode()

    assert "on its way" not in html
    assert "await it before any mail is sent" in html


def test_the_honeypot_does_nothing_but_looks_fine(client, single_list):
    r = post(client, lists=[single_list], nonce="I am a bot")

    assert r.status_code == 200
    assert r.content == post(Client(), lists=[single_list]).content
    assert Subscriber.objects.count() == 1  # the second, honest post


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"email": "not-an-address"}, "email", "invalid email address"),
        ({"email": ""}, "email", "an email address is required"),
        ({"l": []}, "l", "choose at least one list"),
        ({"l": ["not-a-uuid"]}, "l", "invalid list id"),
    ],
)
def test_it_shows_errors_beside_the_field(client, single_list, data, field, message):
    base = {"email": "ann@example.com", "l": [str(single_list.uuid)]}

    r = client.post(URL, {**base, **data})

    assert r.status_code == 400
    html = r.content.decode()
    assert f'id="id_{field}-error">{message}' in html
    assert not Subscriber.objects.exists()


def test_a_private_list_cannot_be_subscribed(client, private_double, single_list):
    r = post(client, lists=[private_double])

    assert r.status_code == 400
    assert f"unknown list {private_double.uuid}" in r.content.decode()


def test_an_existing_subscriber_keeps_their_name_and_must_confirm_a_return(
    client, make_subscriber, double_list, single_list
):
    ann = make_subscriber("ann@example.com", name="Ann Original")
    Subscription.objects.create(subscriber=ann, list=double_list, status="confirmed")
    Subscription.objects.create(subscriber=ann, list=single_list, status="unsubscribed")

    post(client, email="ANN@example.com", lists=[double_list, single_list], name="X")

    ann.refresh_from_db()
    assert ann.name == "Ann Original"
    assert status_of("ann@example.com", double_list) == "confirmed"
    # Anyone can type Ann's address: her unsubscription stands until she confirms.
    assert status_of("ann@example.com", single_list) == "unsubscribed"
    assert optin_mails("ann@example.com").count() == 1


def test_a_blocklisted_address_gets_the_same_answer_and_no_change(
    client, make_subscriber, single_list
):
    make_subscriber("ann@example.com", status="blocklisted")

    r = post(client, lists=[single_list])

    assert r.status_code == 200
    assert "We have received your subscription request" in r.content.decode()
    assert not Subscription.objects.exists()


def test_it_limits_attempts_per_address(client, double_list):
    for _ in range(ratelimit.PER_ADDRESS[0]):
        assert post(client, lists=[double_list]).status_code == 200

    r = post(client, email="Ann@Example.com", lists=[double_list])

    assert r.status_code == 429
    assert "Too many attempts" in r.content.decode()
    assert optin_mails().count() == ratelimit.PER_ADDRESS[0]
    # Another address from the same visitor is still fine.
    assert post(client, email="bob@example.com", lists=[double_list]).status_code == 200


def test_it_limits_attempts_per_ip(single_list):
    visitor = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(ratelimit.PER_IP[0]):
        assert (
            post(visitor, email=f"u{n}@example.com", lists=[single_list]).status_code
            == 200
        )

    assert (
        post(visitor, email="last@example.com", lists=[single_list]).status_code == 429
    )
    other = Client(REMOTE_ADDR="203.0.113.10")
    assert post(other, email="last@example.com", lists=[single_list]).status_code == 200
