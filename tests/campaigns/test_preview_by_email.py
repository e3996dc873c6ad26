"""Campaign preview "as subscriber" by email address; an unknown address or id
says so beside the field and the sample subscriber is shown; output stays
escaped."""

from __future__ import annotations

import pytest

from campaigns.services import create_campaign

pytestmark = pytest.mark.django_db

SCRIPT = "<script>document.title='pwned'</script>"


@pytest.fixture
def campaign(make_list):
    return create_campaign(
        {
            "name": "Hello",
            "subject": "Hi {{ subscriber.name }}",
            "lists": [make_list().id],
            "content_type": "plain",
            "body": "Dear {{ subscriber.name }} from {{ subscriber.attribs.city }}",
        }
    )


def get(client, campaign, **query):
    return client.get(f"/campaigns/{campaign.pk}/preview", query)


def test_it_renders_as_the_subscriber_with_that_address(
    client_alice, campaign, make_subscriber
):
    make_subscriber("Zoe@Example.com", name="Zoe", attribs={"city": "Oslo"})
    r = get(client_alice, campaign, email="  zoe@example.COM ")
    assert r.status_code == 200
    body = r.content.decode()
    assert "Dear Zoe from Oslo" in body
    assert "No subscriber has" not in body


def test_an_unknown_address_says_so_and_shows_the_sample(
    client_alice, campaign, make_subscriber
):
    make_subscriber("zoe@example.com", name="Zoe")
    r = get(client_alice, campaign, email="nobody@example.com")
    assert r.status_code == 200
    body = r.content.decode()
    assert "No subscriber has this address: the sample subscriber is shown." in body
    assert 'id="preview-email-error"' in body
    assert 'value="nobody@example.com"' in body
    assert "Dear Zoe" not in body


def test_an_unknown_id_says_so(client_alice, campaign):
    body = get(client_alice, campaign, subscriber="424242").content.decode()
    assert "No subscriber has this id: the sample subscriber is shown." in body


def test_the_typed_address_and_the_subscriber_are_escaped(
    client_alice, campaign, make_subscriber
):
    make_subscriber("x@example.com", name=SCRIPT, attribs={"city": SCRIPT})
    for email in ("x@example.com", SCRIPT):
        content = get(client_alice, campaign, email=email).content.decode()
        assert SCRIPT not in content
