"""subscribers.services: every write, and nothing half-written on error."""

from __future__ import annotations

import pytest

from subscribers import services
from subscribers.models import MailingList, Subscriber, Subscription
from subscribers.services import SubscriberError

pytestmark = pytest.mark.django_db


def test_it_creates_a_subscriber_and_subscribes_by_optin(make_list):
    single, double = make_list("S"), make_list("D", optin="double")
    s = services.create_subscriber(
        email="Ann@EXAMPLE.org", attribs='{"a": 1}', list_ids=[single.id, double.id]
    )
    assert (s.email, s.name, s.attribs, s.status) == (
        "Ann@example.org",
        "Ann",
        {"a": 1},
        "enabled",
    )
    statuses = dict(s.subscription_set.values_list("list_id", "status"))
    assert statuses == {single.id: "confirmed", double.id: "unconfirmed"}


def test_it_unsubscribes_a_subscriber_created_blocklisted(make_list):
    lst = make_list()
    s = services.create_subscriber(
        email="b@example.org", status="blocklisted", list_ids=[lst.id]
    )
    assert s.subscription_set.get().status == "unsubscribed"


def test_it_refuses_a_duplicate_email_case_insensitively(make_subscriber):
    make_subscriber("dup@example.org")
    with pytest.raises(SubscriberError) as exc:
        services.create_subscriber(email="DUP@example.org")
    assert (exc.value.field, exc.value.status) == ("email", 409)


def test_it_writes_nothing_when_a_list_is_unknown(make_list):
    lst = make_list()
    with pytest.raises(SubscriberError) as exc:
        services.create_subscriber(email="c@example.org", list_ids=[lst.id, 999999])
    assert exc.value.field == "lists"
    assert not Subscriber.objects.exists()
    assert not Subscription.objects.exists()


def test_it_rolls_back_a_failed_update(make_list, make_subscriber):
    a, b = make_list("A"), make_list("B")
    s = make_subscriber("d@example.org", name="Old")
    Subscription.objects.create(subscriber=s, list=a, status="confirmed")
    with pytest.raises(SubscriberError):
        services.update_subscriber(s, name="New", list_ids=[b.id, 999999])
    with pytest.raises(SubscriberError):
        services.update_subscriber(s, name="New", attribs=[1])
    s = Subscriber.objects.get(pk=s.pk)
    assert s.name == "Old"
    assert list(s.subscription_set.values_list("list_id", flat=True)) == [a.id]


def test_it_updates_fields_and_replaces_lists(make_list, make_subscriber):
    a, b = make_list("A"), make_list("B")
    s = make_subscriber("e@example.org")
    Subscription.objects.create(subscriber=s, list=a, status="confirmed")
    services.update_subscriber(
        s, email="f@example.org", attribs={"x": 1}, list_ids=[b.id]
    )
    s.refresh_from_db()
    assert (s.email, s.attribs) == ("f@example.org", {"x": 1})
    assert list(s.subscription_set.values_list("list_id", flat=True)) == [b.id]


def test_it_unsubscribes_when_updated_to_blocklisted(make_list, make_subscriber):
    lst = make_list()
    s = make_subscriber()
    Subscription.objects.create(subscriber=s, list=lst, status="confirmed")
    services.update_subscriber(s, status="blocklisted")
    assert s.subscription_set.get().status == "unsubscribed"


def test_it_blocklists_and_unsubscribes_from_all(make_list, make_subscriber):
    lists = [make_list("A"), make_list("B")]
    s, other = make_subscriber(), make_subscriber()
    for lst in lists:
        Subscription.objects.create(subscriber=s, list=lst, status="confirmed")
        Subscription.objects.create(subscriber=other, list=lst, status="confirmed")
    assert services.blocklist_subscribers([s.id, 999999]) == 1
    s.refresh_from_db()
    assert s.status == "blocklisted"
    assert set(s.subscription_set.values_list("status", flat=True)) == {"unsubscribed"}
    assert set(other.subscription_set.values_list("status", flat=True)) == {"confirmed"}


def test_it_deletes_subscribers_and_their_memberships(make_list, make_subscriber):
    lst = make_list()
    s = make_subscriber()
    Subscription.objects.create(subscriber=s, list=lst)
    assert services.delete_subscribers([s.id]) == 1
    assert services.delete_subscribers([s.id]) == 0
    assert not Subscription.objects.exists()


def test_it_changes_memberships_in_bulk(make_list, make_subscriber):
    a, b = make_list("A"), make_list("B", optin="double")
    s1, s2 = make_subscriber(), make_subscriber(status="blocklisted")
    services.change_memberships(
        subscriber_ids=[s1.id, s2.id], action="add", list_ids=[a.id, b.id]
    )
    assert dict(s1.subscription_set.values_list("list_id", "status")) == {
        a.id: "confirmed",
        b.id: "unconfirmed",
    }
    assert not s2.subscription_set.exists()  # blocklisted subscribers are not added
    services.change_memberships(
        subscriber_ids=[s1.id], action="add", list_ids=[b.id], status="confirmed"
    )
    assert s1.subscription_set.get(list=b).status == "confirmed"
    services.change_memberships(
        subscriber_ids=[s1.id], action="unsubscribe", list_ids=[a.id]
    )
    assert s1.subscription_set.get(list=a).status == "unsubscribed"
    services.change_memberships(
        subscriber_ids=[s1.id], action="remove", list_ids=[a.id]
    )
    assert list(s1.subscription_set.values_list("list_id", flat=True)) == [b.id]


def test_it_writes_no_membership_when_a_subscriber_is_unknown(
    make_list, make_subscriber
):
    lst = make_list()
    s = make_subscriber()
    with pytest.raises(SubscriberError) as exc:
        services.change_memberships(
            subscriber_ids=[s.id, 999999], action="add", list_ids=[lst.id]
        )
    assert (exc.value.field, exc.value.status) == ("ids", 404)
    assert not Subscription.objects.exists()


def test_it_creates_updates_and_deletes_lists(make_subscriber):
    lst = services.create_list({"name": " News ", "tags": "a, b", "optin": "double"})
    assert (lst.name, lst.tags, lst.type, lst.optin) == (
        "News",
        ["a", "b"],
        "private",
        "double",
    )
    services.update_list(lst, {"description": "d"})
    lst.refresh_from_db()
    assert (lst.description, lst.optin) == ("d", "double")
    Subscription.objects.create(subscriber=make_subscriber(), list=lst)
    assert services.delete_lists([lst.id]) == 1
    assert not Subscription.objects.exists()


def test_it_rejects_bad_list_fields_without_writing():
    lst = services.create_list({"name": "Keep"})
    with pytest.raises(SubscriberError) as exc:
        services.update_list(lst, {"name": "Changed", "type": "secret"})
    assert exc.value.field == "type"
    lst.refresh_from_db()
    assert lst.name == "Keep"
    with pytest.raises(SubscriberError):
        services.create_list({"name": ""})
    assert MailingList.objects.count() == 1
