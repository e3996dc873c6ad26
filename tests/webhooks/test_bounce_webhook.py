"""POST /webhooks/bounce: the documented script interface, its validation and auth."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.cache import cache
from django.test import Client, TestCase

from bounces.models import Bounce
from campaigns.models import Campaign
from stmails.config import update_settings
from subscribers.models import Subscriber
from tests.conftest import ADMIN_PASSWORD, basic_auth

URL = "/webhooks/bounce"
# The curl body, byte for byte (meta as an escaped JSON string).
CURL_BODY = (
    '{"email": "user1@mail.com", "campaign_uuid": "9f86b50d-5711-41c8-ab03-bc91c43d711b", '
    '"source": "api", "type": "hard", "meta": "{\\"additional\\": \\"info\\"}"}'
)


@pytest.fixture(autouse=True)
def _local_cache(settings):
    """Auth failures are counted in the cache: a private, empty one per test."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    cache.clear()


@pytest.fixture
def enabled(db):
    update_settings({"bounce.enabled": True, "bounce.webhooks_enabled": True})


@pytest.fixture
def user1(make_subscriber):
    return make_subscriber("user1@mail.com")


def post(client, body, **extra):
    """Post, then run what the commit hands on: the worker records the stored event."""
    if not isinstance(body, str):
        body = json.dumps(body)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(URL, body, content_type="application/json", **extra)


def test_it_records_the_documented_curl_body(enabled, api_client, user1):
    r = post(api_client, CURL_BODY)
    assert r.status_code == 200, r.content
    assert r.json() == {"data": True}
    bounce = Bounce.objects.get()
    assert bounce.subscriber == user1
    assert bounce.type == "hard" and bounce.source == "api"
    # Unknown campaign: recorded anyway, without a campaign, the uuid kept in meta.
    assert bounce.campaign is None
    assert bounce.meta == {
        "additional": "info",
        "unknown_campaign": "9f86b50d-5711-41c8-ab03-bc91c43d711b",
    }
    # Default hard action: blocklist at the first bounce.
    user1.refresh_from_db()
    assert user1.status == Subscriber.Status.BLOCKLISTED


def test_it_takes_meta_as_an_object_and_links_a_known_campaign(
    enabled, api_client, user1
):
    campaign = Campaign.objects.create(name="Spring")
    body = {
        "subscriber_uuid": str(user1.uuid),
        "campaign_uuid": str(campaign.uuid),
        "source": "my_script",
        "type": "soft",
        "meta": {"nested": {"a": 1}},
        "created_at": "2024-08-20T23:54:22Z",
    }
    r = post(api_client, body)
    assert r.status_code == 200, r.content
    bounce = Bounce.objects.get()
    assert bounce.campaign == campaign
    assert bounce.meta == {"nested": {"a": 1}}
    assert bounce.created_at.isoformat() == "2024-08-20T23:54:22+00:00"


def test_it_finds_the_subscriber_by_email_case_insensitively(
    enabled, api_client, user1
):
    r = post(api_client, {"email": "USER1@Mail.com", "source": "api", "type": "soft"})
    assert r.status_code == 200
    assert Bounce.objects.get().subscriber == user1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "user1@mail.com", "type": "hard"}, "source"),
        ({"email": "user1@mail.com", "type": "hard", "source": ""}, "source"),
        ({"email": "user1@mail.com", "type": "hard", "source": 7}, "source"),
        ({"email": "user1@mail.com", "source": "api"}, "type"),
        ({"email": "user1@mail.com", "source": "api", "type": "bounced"}, "type"),
        ({"source": "api", "type": "hard"}, "email"),
        ({"email": "not-an-email", "source": "api", "type": "hard"}, "email"),
        (
            {"subscriber_uuid": "1234", "source": "api", "type": "hard"},
            "subscriber_uuid",
        ),
        (
            {
                "email": "user1@mail.com",
                "source": "api",
                "type": "hard",
                "meta": "{bad",
            },
            "meta",
        ),
        (
            {"email": "user1@mail.com", "source": "api", "type": "hard", "meta": "[1]"},
            "meta",
        ),
        (
            {"email": "user1@mail.com", "source": "api", "type": "hard", "meta": 5},
            "meta",
        ),
        (
            {
                "email": "user1@mail.com",
                "source": "api",
                "type": "hard",
                "created_at": "yesterday",
            },
            "created_at",
        ),
        (
            {
                "email": "user1@mail.com",
                "source": "api",
                "type": "hard",
                "created_at": "2024-08-20T23:54:22",
            },
            "created_at",
        ),
    ],
)
def test_it_refuses_bad_fields_naming_them(enabled, api_client, user1, body, field):
    r = post(api_client, body)
    assert r.status_code == 400, r.content
    assert r.json()["message"].startswith(f"{field}:")
    assert not Bounce.objects.exists()


def test_it_refuses_a_body_that_is_not_an_object(enabled, api_client, user1):
    assert post(api_client, "[1, 2]").status_code == 400
    r = post(api_client, "{not json")
    assert r.status_code == 400
    assert "message" in r.json()


def test_it_answers_404_for_an_unknown_subscriber(enabled, api_client, user1):
    r = post(api_client, {"email": "nobody@mail.com", "source": "api", "type": "hard"})
    assert r.status_code == 404
    assert "nobody@mail.com" in r.json()["message"]
    r = post(
        api_client,
        {"subscriber_uuid": str(uuid.uuid4()), "source": "api", "type": "hard"},
    )
    assert r.status_code == 404
    assert not Bounce.objects.exists()


def test_it_answers_503_when_bounce_processing_is_off(db, api_client, user1):
    update_settings({"bounce.enabled": False, "bounce.webhooks_enabled": True})
    r = post(api_client, CURL_BODY)
    assert r.status_code == 503
    assert r.json() == {"message": "bounce processing is disabled"}
    assert not Bounce.objects.exists()


def test_it_answers_503_when_bounce_webhooks_are_off(db, api_client, user1):
    update_settings({"bounce.enabled": True, "bounce.webhooks_enabled": False})
    r = post(api_client, CURL_BODY)
    assert r.status_code == 503
    assert r.json() == {"message": "bounce webhooks are disabled"}
    # Settings take effect on the next request.
    update_settings({"bounce.webhooks_enabled": True})
    assert post(api_client, CURL_BODY).status_code == 200


def test_it_requires_credentials(enabled, user1, api_user):
    anonymous = Client()
    r = post(anonymous, CURL_BODY)
    assert r.status_code == 401
    assert "message" in r.json()
    user, token = api_user
    wrong = Client(HTTP_AUTHORIZATION=basic_auth(user.name, token + "x"))
    assert post(wrong, CURL_BODY).status_code == 401
    assert (
        post(
            Client(HTTP_AUTHORIZATION=f"token {user.name}:nope"), CURL_BODY
        ).status_code
        == 401
    )
    assert not Bounce.objects.exists()


def test_it_accepts_the_token_header_and_an_admin(enabled, user1, api_user, alice):
    user, token = api_user
    by_token = Client(HTTP_AUTHORIZATION=f"token {user.name}:{token}")
    assert post(by_token, CURL_BODY).status_code == 200
    admin = Client(HTTP_AUTHORIZATION=basic_auth("alice", ADMIN_PASSWORD))
    assert post(admin, CURL_BODY).status_code == 200
    assert Bounce.objects.count() == 2


def test_it_counts_a_retried_event_once(enabled, api_client, user1):
    body = {
        "email": "user1@mail.com",
        "source": "api",
        "type": "soft",
        "event_id": "evt-1",
    }
    assert post(api_client, body).status_code == 200
    assert post(api_client, body).status_code == 200
    assert Bounce.objects.count() == 1
    other = {"email": "user1@mail.com", "source": "api", "type": "soft"}
    assert post(api_client, other, HTTP_IDEMPOTENCY_KEY="k-9").status_code == 200
    assert post(api_client, other, HTTP_IDEMPOTENCY_KEY="k-9").status_code == 200
    assert Bounce.objects.count() == 2


def test_it_records_bounces_of_blocklisted_subscribers(enabled, api_client, user1):
    user1.status = Subscriber.Status.BLOCKLISTED
    user1.save()
    assert post(api_client, CURL_BODY).status_code == 200
    assert post(api_client, CURL_BODY).status_code == 200
    assert Bounce.objects.filter(subscriber=user1).count() == 2


def test_it_stores_an_optional_reason_else_undefined(enabled, api_client, user1):
    body = {"email": "user1@mail.com", "source": "api", "type": "soft"}
    assert post(api_client, {**body, "reason": "mailboxfull"}).status_code == 200
    assert post(api_client, body).status_code == 200
    complaint = {**body, "type": "complaint"}
    assert post(api_client, complaint).status_code == 200
    reasons = list(Bounce.objects.order_by("id").values_list("reason", flat=True))
    assert reasons == ["mailboxfull", "undefined", "feedback"]


@pytest.mark.parametrize("reason", ["nope", 5, ["userunknown"], "USERUNKNOWN"])
def test_it_refuses_an_unknown_reason_naming_the_field(
    enabled, api_client, user1, reason
):
    body = {"email": "user1@mail.com", "source": "api", "type": "hard"}
    r = post(api_client, {**body, "reason": reason})
    assert r.status_code == 400
    assert "reason" in r.json()["message"]
    assert not Bounce.objects.exists()
