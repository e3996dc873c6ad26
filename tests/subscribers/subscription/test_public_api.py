"""POST /api/public/subscription, GET /api/public/lists (no auth), and the
admin's POST /api/subscribers/{id}/optin."""

from __future__ import annotations

import pytest
from django.test import Client

from stmails.config import update_settings
from subscribers import ratelimit
from subscribers.models import Subscriber, Subscription
from tests.conftest import basic_auth
from tests.subscribers.subscription.optin_helpers import confirmations, optin_mails

pytestmark = pytest.mark.django_db

URL = "/api/public/subscription"


def post_json(client, body):
    return client.post(URL, body, content_type="application/json")


def test_it_subscribes_from_json_without_auth(client, double_list, single_list):
    r = post_json(
        client,
        {
            "email": "ann@example.com",
            "name": "Ann",
            "list_uuids": [str(double_list.uuid), str(single_list.uuid)],
        },
    )

    assert r.status_code == 200, r.content
    assert r.json() == {"data": True}
    statuses = dict(
        Subscription.objects.filter(subscriber__email="ann@example.com").values_list(
            "list__name", "status"
        )
    )
    assert statuses == {"Weekly": "unconfirmed", "Announcements": "confirmed"}
    assert Subscriber.objects.get().name == "Ann"
    assert optin_mails("ann@example.com").count() == 1


def test_it_takes_a_form_with_repeated_l(client, double_list, single_list):
    r = client.post(
        URL,
        {
            "email": "ann@example.com",
            "l": [str(double_list.uuid), str(single_list.uuid)],
        },
    )

    assert r.status_code == 200, r.content
    assert Subscription.objects.count() == 2


def test_it_ignores_bad_credentials(double_list):
    client = Client(HTTP_AUTHORIZATION=basic_auth("nobody", "wrong"))

    r = post_json(
        client, {"email": "a@example.com", "list_uuids": [str(double_list.uuid)]}
    )

    assert r.status_code == 200, r.content


@pytest.mark.parametrize(
    "body, message",
    [
        ({"list_uuids": ["L"]}, "email: an email address is required"),
        ({"email": "nope", "list_uuids": ["L"]}, "email: invalid email address 'nope'"),
        ({"email": 5, "list_uuids": ["L"]}, "email: must be a string"),
        ({"email": "a@example.com", "name": ["x"], "list_uuids": ["L"]}, "name: must be a string"),
        ({"email": "a@example.com"}, "list_uuids: choose at least one list"),
        ({"email": "a@example.com", "list_uuids": ["zzz"]}, "list_uuids: invalid list id 'zzz'"),
        ({"email": "a@example.com", "list_uuids": ["P"]}, "list_uuids: unknown list P"),
    ],
)  # fmt: skip
def test_it_answers_400_naming_the_field(
    client, single_list, private_double, body, message
):
    uuids = {"L": str(single_list.uuid), "P": str(private_double.uuid)}
    body = {
        k: [uuids.get(v, v) for v in value] if k == "list_uuids" else value
        for k, value in body.items()
    }

    r = post_json(client, body)

    assert r.status_code == 400
    assert r.json() == {"message": message.replace("P", uuids["P"])}
    assert not Subscriber.objects.exists()


def test_a_body_that_is_not_an_object_is_400(client):
    r = post_json(client, ["a@example.com"])

    assert r.status_code == 400
    assert "JSON object" in r.json()["message"]


def test_the_honeypot_answers_true_and_does_nothing(client, single_list):
    r = post_json(
        client,
        {"email": "a@example.com", "list_uuids": [str(single_list.uuid)], "nonce": "x"},
    )

    assert r.json() == {"data": True}
    assert not Subscriber.objects.exists()


def test_it_is_rate_limited(single_list):
    client = Client(REMOTE_ADDR="198.51.100.7")
    body = {"list_uuids": [str(single_list.uuid)]}
    for n in range(ratelimit.PER_IP[0]):
        r = post_json(client, {**body, "email": f"u{n}@example.com"})
        assert r.status_code == 200

    r = post_json(client, {**body, "email": "late@example.com"})

    assert r.status_code == 429
    assert r.json() == {"message": "too many subscription attempts; try again later"}
    assert not Subscriber.objects.filter(email="late@example.com").exists()


def test_it_is_404_when_the_public_page_is_off(client, single_list):
    update_settings({"app.enable_public_subscription_page": False})

    r = post_json(
        client, {"email": "a@example.com", "list_uuids": [str(single_list.uuid)]}
    )

    assert r.status_code == 404
    assert client.get("/api/public/lists").status_code == 404


def test_public_lists_shows_uuid_and_name_of_public_lists(
    client, double_list, single_list, private_double
):
    r = client.get("/api/public/lists")

    assert r.status_code == 200
    assert r.json() == [
        {"uuid": str(single_list.uuid), "name": "Announcements"},
        {"uuid": str(double_list.uuid), "name": "Weekly"},
    ]


# --- POST /api/subscribers/{id}/optin ------------------------------------------------------


def test_resend_queues_a_new_confirmation(api_client, make_subscriber, double_list):
    ann = make_subscriber("ann@example.com")
    Subscription.objects.create(subscriber=ann, list=double_list)

    r = api_client.post(f"/api/subscribers/{ann.pk}/optin")

    assert r.status_code == 200, r.content
    assert r.json() == {"data": True}
    assert optin_mails("ann@example.com").count() == 1


def test_resend_with_nothing_pending_answers_200_and_mails_nobody(
    api_client, make_subscriber, double_list
):
    # As listmonk: its clients treat any error status as a failed call.
    ann = make_subscriber("ann@example.com")
    Subscription.objects.create(subscriber=ann, list=double_list, status="confirmed")

    r = api_client.post(f"/api/subscribers/{ann.pk}/optin")
    assert (r.status_code, r.json()) == (200, {"data": True})
    assert optin_mails("ann@example.com").count() == 0


def test_resend_explains_why_nothing_was_sent(api_client, make_subscriber, double_list):
    ann = make_subscriber("ann@example.com")

    Subscription.objects.create(subscriber=ann, list=double_list)
    confirmations(False)
    r = api_client.post(f"/api/subscribers/{ann.pk}/optin")
    assert r.status_code == 400
    assert "app.send_optin_confirmation" in r.json()["message"]
    assert not optin_mails().exists()

    confirmations(True)
    ann.status = "blocklisted"
    ann.save()
    r = api_client.post(f"/api/subscribers/{ann.pk}/optin")
    assert r.status_code == 400
    assert r.json()["message"] == "the subscriber is blocklisted: no mail is sent"
    assert not optin_mails().exists()


def test_resend_needs_auth_and_a_subscriber(client, api_client):
    assert client.post("/api/subscribers/1/optin").status_code == 401
    r = api_client.post("/api/subscribers/999/optin")
    assert r.status_code == 404
    assert r.json() == {"message": "subscriber 999 not found"}
