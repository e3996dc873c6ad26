"""bounce.recorded and the threshold actions' subscriber events, single and bulk."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bounces.recording import record_bounce, record_bounces
from bounces.services import NewBounce, reapply_thresholds
from campaigns.models import Campaign
from stmails.config import update_settings
from subscribers.models import Subscription
from tests.bounces.conftest import set_actions
from tests.stmails.event_hooks.helpers import deliveries, make_hook

# The receivers listen on 127.0.0.1, which outgoing HTTP refuses by default.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("allow_loopback_receivers"),
]
URL = "http://127.0.0.1:9/hook"  # nothing is sent: on_commit never runs here


@pytest.fixture(autouse=True)
def bounces_on(db):
    update_settings({"bounce.enabled": True})


@pytest.fixture
def hook():
    return make_hook(URL)[0]


@pytest.fixture
def members(make_subscriber, make_list):
    news = make_list("News")
    subs = []
    for email in ("ann@example.com", "bob@example.com"):
        s = make_subscriber(email)
        Subscription.objects.create(subscriber=s, list=news, status="confirmed")
        subs.append(s)
    return subs


def events() -> list[tuple[str, str]]:
    return [(d.event_type, d.data["data"].get("reason", "")) for d in deliveries()]


def test_record_bounce_sends_bounce_recorded_then_the_threshold_action(hook, members):
    ann = members[0]
    campaign = Campaign.objects.create(name="Spring sale")
    result = record_bounce(
        NewBounce(
            type="hard",
            source="api",
            email="ANN@example.com",
            campaign_uuid=str(campaign.uuid),
            meta={"reason": "550 5.1.1 user unknown"},
            status_code="5.1.1",
        )
    )
    assert events() == [
        ("bounce.recorded", ""),
        ("subscriber.blocklisted", "bounce threshold"),
    ]
    bounce = result.bounce
    data = deliveries("bounce.recorded")[0].data["data"]
    assert data == {
        "id": bounce.id,
        "type": "hard",
        "source": "api",
        "email": "ANN@example.com",
        "status_code": "5.1.1",
        "created_at": data["created_at"],
        "subscriber": {
            "id": ann.pk,
            "uuid": str(ann.uuid),
            "email": "ann@example.com",
            "status": "enabled",
        },
        "campaign": {
            "id": campaign.pk,
            "uuid": str(campaign.uuid),
            "name": "Spring sale",
        },
        "meta": {"reason": "550 5.1.1 user unknown"},
        "meta_truncated": False,
    }
    assert data["created_at"].endswith("Z")


def test_a_large_meta_is_left_out(hook, members):
    record_bounce(
        NewBounce(
            type="soft", source="api", email="ann@example.com", meta={"raw": "x" * 5000}
        )
    )
    data = deliveries("bounce.recorded")[0].data["data"]
    assert (data["meta"], data["meta_truncated"], data["campaign"]) == (
        None,
        True,
        None,
    )


def test_the_unsubscribe_and_delete_actions_send_their_events(hook, members):
    ann, bob = members
    set_actions(hard={"count": 1, "action": "unsubscribe"})
    record_bounce(NewBounce(type="hard", source="api", email=ann.email))
    set_actions(hard={"count": 1, "action": "delete"})
    record_bounce(NewBounce(type="hard", source="api", email=bob.email))
    assert events() == [
        ("bounce.recorded", ""),
        ("subscriber.unsubscribed", "bounce threshold"),
        ("bounce.recorded", ""),
        ("subscriber.deleted", "bounce threshold"),
    ]
    unsub = deliveries("subscriber.unsubscribed")[0].data["data"]
    assert [lst["name"] for lst in unsub["lists"]] == ["News"]
    deleted = deliveries("subscriber.deleted")[0].data["data"]
    assert deleted["subscriber"]["email"] == "bob@example.com"


def test_the_bulk_path_sends_one_event_per_new_bounce_and_per_action(hook, members):
    ann, bob = members
    results = record_bounces(
        [
            NewBounce(type="hard", source="sendgrid", email=ann.email, event_key="k1"),
            NewBounce(type="hard", source="sendgrid", email=ann.email, event_key="k2"),
            NewBounce(type="soft", source="sendgrid", email=bob.email, event_key="k3"),
            NewBounce(type="soft", source="sendgrid", email=bob.email, event_key="k3"),
            NewBounce(type="soft", source="sendgrid", email="nobody@example.com"),
        ]
    )
    recorded = [d.data["data"] for d in deliveries("bounce.recorded")]
    assert sorted(d["id"] for d in recorded) == sorted(r.bounce_id for r in results[:3])
    assert len({d.message_id for d in deliveries("bounce.recorded")}) == 3
    assert [d["subscriber"]["email"] for d in recorded] == [
        "ann@example.com", "ann@example.com", "bob@example.com",
    ]  # fmt: skip
    [blocked] = deliveries("subscriber.blocklisted")
    assert blocked.data["data"]["subscriber"]["id"] == ann.pk
    assert blocked.data["data"]["reason"] == "bounce threshold"
    # A second delivery of the same batch stores nothing and sends nothing.
    record_bounces(
        [NewBounce(type="hard", source="sendgrid", email=ann.email, event_key="k1")]
    )
    assert len(deliveries()) == 4


def test_the_bulk_path_checks_for_endpoints_once_per_batch(members):
    make_hook(URL, events=["subscriber.deleted"])  # wants none of these events
    items = [
        NewBounce(type="soft", source="sendgrid", email=members[i % 2].email)
        for i in range(100)
    ]
    set_actions(soft={"count": 1, "action": "blocklist"})
    with CaptureQueriesContext(connection) as queries:
        record_bounces(items)
    hook_queries = [q for q in queries if "event_hooks" in q["sql"]]
    # One look for the whole batch (bounce.recorded, then subscriber.blocklisted
    # from the cached answer): not once per bounce.
    assert len(hook_queries) == 1
    assert not deliveries()


def test_reapplying_thresholds_sends_the_action_events(hook, members):
    ann = members[0]
    set_actions(hard={"count": 1, "action": "none"})
    record_bounce(NewBounce(type="hard", source="api", email=ann.email))
    set_actions(hard={"count": 1, "action": "blocklist"})
    reapply_thresholds()
    assert events()[-1] == ("subscriber.blocklisted", "bounce threshold")
