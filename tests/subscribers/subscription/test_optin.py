"""The double opt-in services: the confirmation mail, its link, unsubscribe."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core import signing

from stmails.config import SettingsError, get_values, update_settings
from subscribers import links
from subscribers.models import Subscription
from subscribers.services import create_subscriber
from subscribers.subscription import confirmation, optin
from tests.subscribers.subscription.optin_helpers import (
    confirm_link,
    confirmations,
    optin_mails,
    path_of,
)

pytestmark = pytest.mark.django_db


def statuses(subscriber) -> dict[str, str]:
    return dict(
        Subscription.objects.filter(subscriber=subscriber).values_list(
            "list__name", "status"
        )
    )


def test_it_queues_one_mail_for_all_pending_double_lists(
    double_list, private_double, single_list
):
    ann = create_subscriber(
        email="ann@example.com",
        name="Ann",
        list_ids=[double_list.id, private_double.id, single_list.id],
    )

    assert statuses(ann) == {
        "Weekly": "unconfirmed",
        "Insiders": "unconfirmed",
        "Announcements": "confirmed",
    }
    [mail] = optin_mails()
    assert mail.to_email == "ann@example.com"
    assert mail.subscriber_id == ann.id
    assert mail.subject == "Confirm your subscription"
    assert "Hello Ann," in mail.text
    assert "Insiders, Weekly" in mail.text
    assert "Announcements" not in mail.text
    assert confirm_link(mail).startswith("http://127.0.0.1:9000/subscription/optin/")


def test_it_adds_list_unsubscribe_headers(double_list):
    ann = create_subscriber(email="ann@example.com", list_ids=[double_list.id])

    headers = optin_mails().get().headers
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["X-Stmails-Subscriber"] == str(ann.uuid)
    url = headers["List-Unsubscribe"].strip("<>")
    token = url.rsplit("/", 1)[1]
    assert url.startswith("http://127.0.0.1:9000/subscription/unsubscribe/")
    assert links.read_subscription_token(token) == (ann, [double_list.id])


def test_list_unsubscribe_headers_can_add_a_mailto(make_subscriber):
    ann = make_subscriber()

    headers = links.list_unsubscribe_headers(ann, mailto="unsub@lists.example.org")

    https, mailto = headers["List-Unsubscribe"].split(", ")
    assert https.startswith("<http://127.0.0.1:9000/subscription/unsubscribe/")
    assert mailto == "<mailto:unsub@lists.example.org?subject=unsubscribe>"
    token = https.strip("<>").rsplit("/", 1)[1]
    assert links.read_subscription_token(token) == (ann, None)


def test_it_sends_nothing_when_confirmations_are_off(double_list):
    confirmations(False)

    ann = create_subscriber(email="ann@example.com", list_ids=[double_list.id])

    assert statuses(ann) == {"Weekly": "unconfirmed"}
    assert not optin_mails().exists()


def test_it_sends_nothing_for_single_or_preconfirmed_lists(double_list, single_list):
    create_subscriber(email="a@example.com", list_ids=[single_list.id])
    create_subscriber(email="b@example.com", list_ids=[double_list.id], preconfirm=True)

    assert not optin_mails().exists()


def test_the_link_confirms_every_pending_double_list(
    double_list, private_double, single_list, client
):
    ann = create_subscriber(email="ann@example.com", list_ids=[double_list.id])
    link = confirm_link(optin_mails().get())
    # A list added after the mail went out is confirmed by the same link.
    Subscription.objects.create(subscriber=ann, list=private_double)
    Subscription.objects.create(subscriber=ann, list=single_list, status="unsubscribed")

    result = optin.confirm_optin(link.rsplit("/", 1)[1])

    assert {lst.name for lst in result.confirmed} == {"Weekly", "Insiders"}
    assert statuses(ann) == {
        "Weekly": "confirmed",
        "Insiders": "confirmed",
        "Announcements": "unsubscribed",
    }
    # Twice is harmless.
    assert optin.confirm_optin(link.rsplit("/", 1)[1]).confirmed == []


def test_it_refuses_an_expired_link(double_list, monkeypatch):
    ann = create_subscriber(email="ann@example.com", list_ids=[double_list.id])
    eight_days_ago = time.time() - timedelta(days=8).total_seconds()
    monkeypatch.setattr(signing.time, "time", lambda: eight_days_ago)
    token = links.optin_token(ann)
    monkeypatch.undo()

    with pytest.raises(links.TokenError) as e:
        optin.confirm_optin(token)

    assert e.value.expired
    assert statuses(ann) == {"Weekly": "unconfirmed"}
    # Its signature still says whose it is, so a new link can be offered.
    assert links.read_optin_token(token, allow_expired=True) == ann


@pytest.mark.parametrize("forge", ["tamper", "other_salt", "garbage"])
def test_it_refuses_a_forged_link(double_list, forge):
    ann = create_subscriber(email="ann@example.com", list_ids=[double_list.id])
    token = {
        "tamper": links.optin_token(ann)[:-2] + "xx",
        "other_salt": signing.dumps(ann.uuid.hex, salt="something-else"),
        "garbage": "not-a-token",
    }[forge]

    with pytest.raises(links.TokenError) as e:
        optin.confirm_optin(token)

    assert not e.value.expired
    assert statuses(ann) == {"Weekly": "unconfirmed"}


def test_an_unsubscribe_token_is_no_confirmation_link(double_list):
    ann = create_subscriber(email="ann@example.com", list_ids=[double_list.id])

    with pytest.raises(links.TokenError):
        optin.confirm_optin(links.subscription_token(ann))


def test_it_uses_the_edited_template(double_list):
    update_settings(
        {
            "app.optin_subject": "{name}: one more step for {lists}",
            "app.optin_body": "Hi {name} {{literal}}\nClick {confirm_url}\n",
        }
    )

    create_subscriber(email="ann@example.com", name="Ann", list_ids=[double_list.id])

    mail = optin_mails().get()
    assert mail.subject == "Ann: one more step for Weekly"
    assert mail.text.startswith("Hi Ann {{literal}}\nClick http://127.0.0.1:9000/")
    assert confirm_link(mail)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"app.optin_body": "No link here"}, "app.optin_body"),
        ({"app.optin_subject": "Two\nlines"}, "app.optin_subject"),
    ],
)
def test_it_validates_the_template(changes, field):
    with pytest.raises(SettingsError) as e:
        update_settings(changes)

    assert e.value.field == field


def test_an_empty_template_means_the_default():
    update_settings({"app.optin_subject": "Hi", "app.optin_body": "{confirm_url}"})

    update_settings({"app.optin_subject": "", "app.optin_body": "  "})

    values = get_values("app.optin_subject", "app.optin_body")
    assert values["app.optin_subject"] == "Confirm your subscription"
    assert values["app.optin_body"].startswith("Hello {name},")


def test_unsubscribe_lowers_only_the_given_lists(
    make_subscriber, double_list, single_list
):
    ann = make_subscriber()
    Subscription.objects.create(subscriber=ann, list=double_list, status="confirmed")
    Subscription.objects.create(subscriber=ann, list=single_list, status="confirmed")

    assert optin.unsubscribe(ann, [double_list.id]) == 1
    assert statuses(ann) == {"Weekly": "unsubscribed", "Announcements": "confirmed"}
    assert optin.unsubscribe(ann) == 1
    assert set(statuses(ann).values()) == {"unsubscribed"}


def test_resend_names_every_pending_list_and_skips_blocklisted(
    make_subscriber, double_list, private_double
):
    ann = make_subscriber(name="Ann")
    Subscription.objects.create(subscriber=ann, list=double_list)
    Subscription.objects.create(subscriber=ann, list=private_double)
    bob = make_subscriber(status="blocklisted")
    Subscription.objects.create(subscriber=bob, list=double_list)

    mail = confirmation.send_optin_confirmation(ann)

    assert "Insiders, Weekly" in mail.text
    assert confirmation.send_optin_confirmation(bob) is None
    assert path_of(confirm_link(mail)).startswith("/subscription/optin/")
