"""Issue 14 item 6: the public form and API tell nothing about an address, and a
returning unsubscriber is only subscribed again by confirming by mail."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from campaigns.sending.engine import eligible_subscriptions
from subscribers.models import Subscription
from subscribers.subscription import confirmation
from tests.subscribers.subscription.optin_helpers import (
    confirm_link,
    optin_mails,
    path_of,
)

pytestmark = pytest.mark.django_db

FORM = "/subscription/form"
API = "/api/public/subscription"


def form_answer(email, lst) -> bytes:
    r = Client().post(
        FORM, {"email": email, "name": "N", "l": [str(lst.uuid)]}, follow=True
    )
    assert r.status_code == 200
    return r.content.replace(email.encode(), b"EMAIL")


def api_answer(email, lst) -> tuple[int, bytes]:
    body = {"email": email, "name": "N", "list_uuids": [str(lst.uuid)]}
    r = Client().post(API, json.dumps(body), content_type="application/json")
    return r.status_code, r.content


@pytest.fixture
def addresses(make_subscriber, single_list, double_list):
    """One address in each state the form could betray."""
    confirmed = make_subscriber("confirmed@example.com")
    Subscription.objects.create(
        subscriber=confirmed, list=single_list, status="confirmed"
    )
    Subscription.objects.create(
        subscriber=confirmed, list=double_list, status="confirmed"
    )
    make_subscriber("blocked@example.com", status="blocklisted")
    left = make_subscriber("left@example.com")
    Subscription.objects.create(
        subscriber=left, list=single_list, status="unsubscribed"
    )
    return [
        "new@example.com",
        "confirmed@example.com",
        "blocked@example.com",
        "left@example.com",
    ]


@pytest.mark.parametrize("which", ["single_list", "double_list"])
def test_the_public_form_gives_one_answer_for_every_address(addresses, which, request):
    lst = request.getfixturevalue(which)
    answers = {email: form_answer(email, lst) for email in addresses}
    assert len(set(answers.values())) == 1, answers


@pytest.mark.parametrize("which", ["single_list", "double_list"])
def test_the_public_api_gives_one_answer_for_every_address(addresses, which, request):
    lst = request.getfixturevalue(which)
    answers = {email: api_answer(email, lst) for email in addresses}
    assert set(answers.values()) == {(200, b'{"data":true}')}, answers


def test_a_returning_unsubscriber_must_confirm_a_single_opt_in_list(
    client, make_subscriber, single_list
):
    ann = make_subscriber("ann@example.com")
    Subscription.objects.create(subscriber=ann, list=single_list, status="unsubscribed")

    api_answer("ann@example.com", single_list)
    form_answer("ann@example.com", single_list)

    membership = Subscription.objects.get(subscriber=ann, list=single_list)
    assert membership.status == "unsubscribed"
    assert not eligible_subscriptions([single_list.id]).exists()  # no campaign mail
    mails = optin_mails("ann@example.com")
    assert mails.count() == 2 and single_list.name in mails.last().text

    # Ann's own click restores her.
    path = path_of(confirm_link(mails.last()))
    assert client.post(path).status_code == 302
    membership.refresh_from_db()
    assert membership.status == "confirmed"
    assert confirmation.RECONFIRM not in membership.meta
    assert eligible_subscriptions([single_list.id]).count() == 1


def test_a_new_address_on_a_single_opt_in_list_still_joins_at_once(single_list):
    form_answer("new@example.com", single_list)
    assert Subscription.objects.get(list=single_list).status == "confirmed"
    assert not optin_mails().exists()
