"""Post/Redirect/Get in the admin: a form that succeeds answers with a redirect to a
page that shows the result, so a reload does nothing twice; a form with errors is
shown again with 400 and the error beside its field."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign
from subscribers.models import MailingList, Subscriber

pytestmark = pytest.mark.django_db


def list_data(**kw):
    return {"name": "Weekly", "type": "public", "optin": "single", **kw}


def subscriber_data(**kw):
    return {"email": "bob@example.com", "name": "Bob", "status": "enabled", **kw}


def campaign_data(**kw):
    lst = MailingList.objects.get_or_create(name="Readers")[0]
    return {
        "name": "Autumn",
        "subject": "News",
        "lists": [lst.pk],
        "content_type": "markdown",
        "body": "# Hello",
        "headers": "[]",
        **kw,
    }


FORMS = [
    # url, good data, bad data (field), the result the next page shows, rows made
    ("/lists/new", list_data, {"name": ""}, "List Weekly created.", MailingList),
    (
        "/subscribers/new",
        subscriber_data,
        {"email": "not an address"},
        "Subscriber bob@example.com created.",
        Subscriber,
    ),
    (
        "/campaigns/new",
        campaign_data,
        {"subject": ""},
        "Campaign Autumn created.",
        Campaign,
    ),
]


@pytest.mark.parametrize(("url", "data", "bad", "shown", "model"), FORMS)
def test_a_successful_post_redirects_to_a_page_with_the_result(
    client_alice, url, data, bad, shown, model
):
    before = model.objects.count()

    response = client_alice.post(url, data())

    assert response.status_code in (302, 303)
    page = client_alice.get(response["Location"])
    assert page.status_code == 200
    assert shown in page.content.decode()
    # The message was shown once: reloading the page shows the result, not again
    # the message, and creates nothing.
    assert shown not in client_alice.get(response["Location"]).content.decode()
    assert model.objects.count() == before + 1


@pytest.mark.parametrize(("url", "data", "bad", "shown", "model"), FORMS)
def test_a_post_with_errors_is_shown_again_with_400(
    client_alice, url, data, bad, shown, model
):
    before = model.objects.count()

    response = client_alice.post(url, data(**bad))

    assert response.status_code == 400
    [field] = bad
    assert f'id="id_{field}-error"' in response.content.decode()
    assert model.objects.count() == before
