"""An existing subscriber added to a double opt-in list gets a confirmation mail,
from the UI, the API and an import (listmonk #1257, #1441 send nothing)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from subscribers.imports import jobs
from subscribers.models import Subscription
from tests.subscribers.subscription.optin_helpers import (
    confirm_link,
    confirmations,
    optin_mails,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(make_subscriber, single_list):
    ann = make_subscriber("ann@example.com", name="Ann")
    Subscription.objects.create(subscriber=ann, list=single_list, status="confirmed")
    return ann


def test_it_sends_when_added_on_the_subscriber_page(client_alice, ann, double_list):
    r = client_alice.post(
        f"/subscribers/{ann.pk}/lists", {"action": "add", "list": double_list.pk}
    )

    assert r.status_code == 302
    assert Subscription.objects.get(subscriber=ann, list=double_list).status == (
        "unconfirmed"
    )
    [mail] = optin_mails("ann@example.com")
    assert "Weekly" in mail.text and confirm_link(mail)


def test_it_sends_when_added_with_put_subscribers_lists(api_client, ann, double_list):
    r = api_client.put(
        "/api/subscribers/lists",
        {"ids": [ann.pk], "action": "add", "target_list_ids": [double_list.pk]},
        content_type="application/json",
    )

    assert r.status_code == 200, r.content
    assert optin_mails("ann@example.com").count() == 1


def test_it_sends_when_put_subscriber_adds_a_list(
    api_client, ann, double_list, single_list
):
    r = api_client.put(
        f"/api/subscribers/{ann.pk}",
        {"lists": [single_list.pk, double_list.pk]},
        content_type="application/json",
    )

    assert r.status_code == 200, r.content
    assert optin_mails("ann@example.com").count() == 1
    # Saving again adds nothing new: no second mail.
    api_client.put(
        f"/api/subscribers/{ann.pk}",
        {"name": "Ann B.", "lists": [single_list.pk, double_list.pk]},
        content_type="application/json",
    )
    assert optin_mails("ann@example.com").count() == 1


def test_it_sends_nothing_for_preconfirmed_or_blocklisted(
    api_client, ann, double_list, make_subscriber
):
    bob = make_subscriber("bob@example.com", status="blocklisted")
    api_client.put(
        f"/api/subscribers/{ann.pk}",
        {"lists": [double_list.pk], "preconfirm_subscriptions": True},
        content_type="application/json",
    )
    api_client.put(
        "/api/subscribers/lists",
        {"ids": [bob.pk], "action": "add", "target_list_ids": [double_list.pk]},
        content_type="application/json",
    )

    assert not optin_mails().exists()


def test_it_sends_nothing_while_confirmations_are_off(api_client, ann, double_list):
    confirmations(False)

    api_client.put(
        "/api/subscribers/lists",
        {"ids": [ann.pk], "action": "add", "target_list_ids": [double_list.pk]},
        content_type="application/json",
    )

    assert Subscription.objects.get(subscriber=ann, list=double_list).status == (
        "unconfirmed"
    )
    assert not optin_mails().exists()


def run_import(settings, tmp_path, capture, text, **params):
    settings.STMAILS_IMPORT_DIR = tmp_path / "imports"
    upload = SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv")
    # The eager import task runs on commit; the mails it queues are not sent here.
    with capture(execute=False) as callbacks:
        job = jobs.start_import(upload, params)
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.status == "finished", job.log
    return job


def test_an_unconfirmed_import_sends_to_new_and_existing_subscribers(
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
    ann,
    double_list,
    single_list,
):
    run_import(
        settings,
        tmp_path,
        django_capture_on_commit_callbacks,
        "email,name\nann@example.com,Ann\nnew@example.com,New\n",
        mode="subscribe",
        subscription_status="unconfirmed",
        lists=[double_list.pk, single_list.pk],
        send_confirmations=True,
    )

    assert sorted(optin_mails().values_list("to_email", flat=True)) == [
        "ann@example.com",
        "new@example.com",
    ]
    assert "Weekly" in optin_mails("new@example.com").get().text
    assert jobs.describe_job(jobs.latest_job())["confirmations"] == 2


def test_an_import_mails_nobody_unless_asked_as_in_listmonk(
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
    ann,
    double_list,
):
    job = run_import(
        settings,
        tmp_path,
        django_capture_on_commit_callbacks,
        "email,name\nann@example.com,Ann\nnew@example.com,New\n",
        mode="subscribe",
        subscription_status="unconfirmed",
        lists=[double_list.pk],
    )

    assert not optin_mails().exists()
    assert (job.send_confirmations, job.confirmations) == (False, 0)
    # The memberships are there all the same, waiting for a confirmation.
    assert set(
        Subscription.objects.filter(list=double_list).values_list("status", flat=True)
    ) == {"unconfirmed"}


def test_a_confirmed_import_or_a_known_membership_sends_nothing(
    settings, tmp_path, django_capture_on_commit_callbacks, ann, double_list, make_list
):
    Subscription.objects.create(subscriber=ann, list=double_list)
    other = make_list("Other", optin="double")
    run_import(
        settings,
        tmp_path,
        django_capture_on_commit_callbacks,
        "email\nann@example.com\n",
        mode="subscribe",
        subscription_status="unconfirmed",
        lists=[double_list.pk],
    )
    run_import(
        settings,
        tmp_path,
        django_capture_on_commit_callbacks,
        "email\nnew@example.com\n",
        mode="subscribe",
        subscription_status="confirmed",
        lists=[other.pk],
    )

    assert not optin_mails().exists()


def test_an_import_through_the_api_sends_when_asked(
    settings, tmp_path, api_client, django_capture_on_commit_callbacks, ann, double_list
):
    settings.STMAILS_IMPORT_DIR = tmp_path / "imports"
    body = {
        "file": SimpleUploadedFile("x.csv", b"email\nann@example.com\n"),
        "params": json.dumps(
            {"mode": "subscribe", "subscription_status": "unconfirmed",
             "lists": [double_list.pk], "send_confirmations": True}
        ),
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        r = api_client.post("/api/import/subscribers", body)
    assert r.status_code == 200, r.content
    for callback in callbacks:
        callback()

    assert optin_mails("ann@example.com").count() == 1


def test_an_import_sends_nothing_while_confirmations_are_off(
    settings, tmp_path, django_capture_on_commit_callbacks, ann, double_list
):
    confirmations(False)

    run_import(
        settings,
        tmp_path,
        django_capture_on_commit_callbacks,
        "email\nann@example.com\nnew@example.com\n",
        mode="subscribe",
        subscription_status="unconfirmed",
        lists=[double_list.pk],
    )

    assert (
        Subscription.objects.filter(list=double_list, status="unconfirmed").count() == 2
    )
    assert not optin_mails().exists()
