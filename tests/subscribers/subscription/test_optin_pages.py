"""The confirm, unsubscribe and preferences pages; the admin's pieces of the flow."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core import signing

from stmails.models import OutgoingMail
from subscribers import links
from subscribers.models import Subscription
from subscribers.services import create_subscriber
from tests.subscribers.subscription.optin_helpers import (
    confirm_link,
    confirmations,
    optin_mails,
    path_of,
)

pytestmark = pytest.mark.django_db


def status(subscriber, lst) -> str:
    return Subscription.objects.get(subscriber=subscriber, list=lst).status


@pytest.fixture
def ann(double_list, private_double):
    ann = create_subscriber(
        email="ann@example.com",
        name="Ann",
        list_ids=[double_list.id, private_double.id],
    )
    return ann


# --- /subscription/optin/<token> ----------------------------------------------------------


def test_opening_the_link_only_shows_a_button(client, ann, double_list):
    url = path_of(confirm_link(optin_mails().get()))

    r = client.get(url)

    assert r.status_code == 200
    html = r.content.decode()
    assert "Confirm subscription</button>" in html
    assert "<li>Insiders</li>" in html and "<li>Weekly</li>" in html
    assert status(ann, double_list) == "unconfirmed"


def test_pressing_the_button_confirms_every_pending_list(
    client, ann, double_list, private_double
):
    url = path_of(confirm_link(optin_mails().get()))

    r = client.post(url, {"confirm": "true"})

    # Post/Redirect/Get: the result page is a GET, so a reload confirms nothing.
    assert r.status_code == 302
    assert r["Location"] == url + "?done=1"
    assert status(ann, double_list) == "confirmed"
    assert status(ann, private_double) == "confirmed"
    page = client.get(r["Location"]).content.decode()
    assert "Thank you: your subscription to <strong>Insiders</strong>, " in page
    assert "<strong>Weekly</strong> is confirmed" in page
    assert "already confirmed" in client.get(url).content.decode()


def test_a_forged_link_is_refused(client, ann, double_list):
    url = path_of(confirm_link(optin_mails().get()))

    r = client.post(url[:-3] + "abc")

    assert r.status_code == 404
    assert "This link is not valid" in r.content.decode()
    assert status(ann, double_list) == "unconfirmed"


def test_an_expired_link_is_refused_and_offers_a_new_one(
    client, ann, double_list, monkeypatch
):
    then = time.time() - timedelta(days=8).total_seconds()
    monkeypatch.setattr(signing.time, "time", lambda: then)
    url = path_of(links.confirm_url(ann))
    monkeypatch.undo()

    r = client.post(url)
    assert r.status_code == 410
    assert "expired" in r.content.decode()
    assert "Send me a new link" in r.content.decode()
    assert status(ann, double_list) == "unconfirmed"

    r = client.post(url, {"action": "resend"})
    assert r.status_code == 302
    assert r["Location"] == url + "?resent=1"
    page = client.get(r["Location"]).content.decode()
    assert "We sent a new confirmation link to ann@example.com." in page
    new = optin_mails().last()
    # Reloading the answer sends nothing more.
    client.get(r["Location"])
    assert optin_mails().count() == 2
    client.post(path_of(confirm_link(new)))
    assert status(ann, double_list) == "confirmed"


# --- unsubscribe, one-click, preferences -------------------------------------------------------


def unsubscribe_path(mail) -> str:
    return path_of(mail.headers["List-Unsubscribe"].strip("<>"))


def test_the_unsubscribe_page_asks_first(client, ann, double_list):
    r = client.get(unsubscribe_path(optin_mails().get()))

    assert r.status_code == 200
    assert "Unsubscribe</button>" in r.content.decode()
    assert status(ann, double_list) == "unconfirmed"


def test_one_click_post_unsubscribes_from_the_mail_lists(
    client, ann, double_list, private_double, single_list
):
    Subscription.objects.create(subscriber=ann, list=single_list, status="confirmed")
    # RFC 8058: the mail client POSTs this body, without cookies or CSRF token.
    r = client.post(
        unsubscribe_path(optin_mails().get()),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert r.status_code == 200
    assert status(ann, double_list) == "unsubscribed"
    assert status(ann, private_double) == "unsubscribed"
    assert status(ann, single_list) == "confirmed"


def test_the_button_can_unsubscribe_from_everything(client, ann, single_list):
    Subscription.objects.create(subscriber=ann, list=single_list, status="confirmed")

    path = unsubscribe_path(optin_mails().get())
    r = client.post(path, {"scope": "all"})

    assert r.status_code == 302
    assert r["Location"] == path + "?done=1"
    assert "You are unsubscribed" in client.get(r["Location"]).content.decode()
    assert set(
        Subscription.objects.filter(subscriber=ann).values_list("status", flat=True)
    ) == {"unsubscribed"}


def test_a_forged_unsubscribe_link_is_refused(client, ann, double_list):
    path = unsubscribe_path(optin_mails().get())

    assert client.post(path[:-4] + "abcd").status_code == 404
    assert status(ann, double_list) == "unconfirmed"


def test_preferences_show_and_change_lists(
    client, ann, double_list, private_double, single_list, make_list
):
    make_list("Secret", type="private")
    url = path_of(links.preferences_url(ann))

    html = client.get(url).content.decode()
    assert "Weekly" in html and "Insiders" in html and "Announcements" in html
    assert "Secret" not in html

    # Keep Insiders, leave Weekly, join Announcements (single: at once).
    r = client.post(url, {"list": [private_double.pk, single_list.pk]})

    assert r.status_code == 302
    assert r["Location"] == url + "?saved=saved"
    assert "Your preferences are saved." in client.get(r["Location"]).content.decode()
    assert "Your preferences are saved." not in client.get(url).content.decode()
    assert status(ann, double_list) == "unsubscribed"
    assert status(ann, private_double) == "unconfirmed"
    assert status(ann, single_list) == "confirmed"


def test_joining_a_double_list_from_preferences_sends_a_confirmation(
    client, make_subscriber, double_list
):
    bob = make_subscriber("bob@example.com")

    r = client.post(
        path_of(links.preferences_url(bob)), {"list": [double_list.pk]}, follow=True
    )

    assert r.redirect_chain[0][1] == 302
    assert "Check your inbox to confirm" in r.content.decode()
    assert status(bob, double_list) == "unconfirmed"
    assert optin_mails("bob@example.com").count() == 1


def test_preferences_unsubscribe_from_all(client, ann):
    r = client.post(
        path_of(links.preferences_url(ann)), {"action": "unsubscribe_all"}, follow=True
    )

    assert "You are unsubscribed from every list." in r.content.decode()

    assert set(
        Subscription.objects.filter(subscriber=ann).values_list("status", flat=True)
    ) == {"unsubscribed"}


# --- admin pages -----------------------------------------------------------------------------


def test_the_subscriber_page_resends_a_confirmation(client_alice, ann):
    page = client_alice.get(f"/subscribers/{ann.pk}/").content.decode()
    assert "Send opt-in confirmation" in page

    r = client_alice.post(f"/subscribers/{ann.pk}/optin", follow=True)

    assert "Opt-in confirmation queued for ann@example.com." in r.content.decode()
    assert optin_mails().count() == 2


def test_the_subscriber_page_shows_what_became_of_the_mail(client_alice, ann):
    mail = optin_mails().get()
    OutgoingMail.objects.filter(pk=mail.pk).update(
        status="awaiting_retry", last_error="127.0.0.1:25: connection refused"
    )

    page = client_alice.get(f"/subscribers/{ann.pk}/").content.decode()

    assert "Opt-in confirmation:" in page
    assert "Awaiting Retry</span>: 127.0.0.1:25: connection refused." in page

    confirmations(False)
    page = client_alice.get(f"/subscribers/{ann.pk}/").content.decode()
    assert "Confirmations are off" in page


def test_the_resend_button_explains_a_refusal(client_alice, ann):
    confirmations(False)

    r = client_alice.post(f"/subscribers/{ann.pk}/optin", follow=True)

    assert "Not sent: subscription confirmation (double opt-in) is off" in (
        r.content.decode()
    )
    assert optin_mails().count() == 1


def test_the_resend_button_says_a_blocklisted_subscriber_gets_no_mail(
    client_alice, ann
):
    ann.status = "blocklisted"
    ann.save()

    r = client_alice.post(f"/subscribers/{ann.pk}/optin", follow=True)

    assert "Not sent: ann@example.com is blocklisted" in r.content.decode()
    assert optin_mails().count() == 1


def test_the_resend_button_needs_login_and_a_pending_list(
    client, client_alice, make_subscriber
):
    bob = make_subscriber()
    assert "Send opt-in confirmation" not in (
        client_alice.get(f"/subscribers/{bob.pk}/").content.decode()
    )
    r = client.post(f"/subscribers/{bob.pk}/optin")
    assert r.status_code == 302 and "/login" in r["Location"]


def test_warnings_show_while_confirmations_are_off(
    client_alice, double_list, single_list
):
    warning = "Subscription confirmations are not being sent."
    assert warning not in client_alice.get("/").content.decode()

    confirmations(False)

    dashboard = client_alice.get("/").content.decode()
    assert warning in dashboard and "Weekly" in dashboard
    assert warning in client_alice.get(f"/lists/{double_list.pk}/").content.decode()
    assert warning not in (
        client_alice.get(f"/lists/{single_list.pk}/").content.decode()
    )


def test_a_public_list_page_shows_an_embeddable_form(
    client_alice, double_list, private_double
):
    html = client_alice.get(f"/lists/{double_list.pk}/").content.decode()

    assert (
        '&lt;form method="post" action="http://127.0.0.1:9000/subscription/form"'
        in html
    )
    assert f'&lt;input type="hidden" name="l" value="{double_list.uuid}"&gt;' in html
    assert "subscription-snippet" not in (
        client_alice.get(f"/lists/{private_double.pk}/").content.decode()
    )


def test_general_settings_edit_the_template(client_alice, double_list):
    page = client_alice.get("/settings/general").content.decode()
    assert '<textarea name="app__optin_body"' in page

    r = client_alice.post(
        "/settings/general",
        {
            "app__site_name": "News",
            "app__root_url": "https://lists.example.org",
            "app__from_email": "News <news@example.org>",
            "app__send_optin_confirmation": "on",
            "app__enable_public_subscription_page": "on",
            "app__optin_subject": "Please confirm, {name}",
            "app__optin_body": "Confirm: {confirm_url}",
        },
    )
    assert r.status_code == 302, r.content.decode()

    create_subscriber(email="c@example.com", name="Cy", list_ids=[double_list.id])
    mail = optin_mails().get()
    assert mail.subject == "Please confirm, Cy"
    assert mail.text.startswith(
        "Confirm: https://lists.example.org/subscription/optin/"
    )


def test_general_settings_refuse_a_body_without_the_link(client_alice):
    page = client_alice.get("/settings/general")
    assert page.status_code == 200

    r = client_alice.post(
        "/settings/general",
        {
            "app__site_name": "News",
            "app__root_url": "https://lists.example.org",
            "app__from_email": "News <news@example.org>",
            "app__optin_subject": "Confirm",
            "app__optin_body": "no link",
        },
    )

    assert r.status_code == 400
    assert "must contain {confirm_url}" in r.content.decode()
