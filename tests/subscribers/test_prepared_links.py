"""SubscriptionLinks: the per-recipient unsubscribe and confirmation URLs of a
campaign run are the very strings unsubscribe_url and confirm_url make."""

from __future__ import annotations

import random
import uuid
from unittest import mock

import pytest

from subscribers.links import (
    SubscriptionLinks,
    confirm_url,
    read_optin_token,
    read_subscription_token,
    unsubscribe_url,
)
from subscribers.models import MailingList, Subscriber

ROOT = "https://mail.example.test/"
NOW = 1_790_000_000.75


def frozen(at: float = NOW):
    return mock.patch("django.core.signing.time.time", return_value=at)


def subscribers(count: int, seed: int) -> list[Subscriber]:
    rng = random.Random(seed)
    fixed = [uuid.UUID(int=0), uuid.UUID(int=2**128 - 1), uuid.UUID("0" * 31 + "1")]
    made = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(count)]
    return [Subscriber(id=i + 1, uuid=u) for i, u in enumerate(fixed + made)]


def list_sets(seed: int) -> list[list[MailingList] | None]:
    rng = random.Random(seed)
    sets: list[list[MailingList] | None] = [None, [], [MailingList(id=7)]]
    sets.append([MailingList(id=i) for i in range(1, 41)])  # the payload compresses
    sets.append([MailingList(id=i) for i in (30, 2, 11)])  # sorted into the token
    for _ in range(6):
        ids = rng.sample(range(1, 100_000), rng.randint(1, 25))
        sets.append([MailingList(id=i) for i in ids])
    return sets


@pytest.mark.parametrize("lists", list_sets(seed=11))
def test_unsubscribe_urls_are_those_unsubscribe_url_makes(lists):
    with frozen():
        links = SubscriptionLinks(lists, root=ROOT)
        for subscriber in subscribers(200, seed=len(lists or []) + 1):
            assert links.unsubscribe(subscriber) == unsubscribe_url(
                subscriber, lists, root=ROOT
            )


def test_compressed_and_plain_tokens_are_both_exercised():
    with frozen():
        many = SubscriptionLinks([MailingList(id=i) for i in range(1, 41)], root=ROOT)
        few = SubscriptionLinks([MailingList(id=1)], root=ROOT)
        zeros, random_one = subscribers(1, seed=1)[0::3]
        assert "/." in many.unsubscribe(random_one)  # "." flags zlib
        assert "/." in few.unsubscribe(zeros)  # a uuid of zeros compresses too
        assert "/." not in few.unsubscribe(random_one)


def test_the_timestamp_follows_the_clock_between_calls():
    links = SubscriptionLinks(None, root=ROOT)
    subscriber = subscribers(0, seed=1)[1]
    for at in (NOW, NOW + 0.2, NOW + 1, NOW + 86_400 * 400):
        with frozen(at):
            assert links.unsubscribe(subscriber) == unsubscribe_url(
                subscriber, None, root=ROOT
            )


def test_confirm_urls_are_those_confirm_url_makes():
    with frozen():
        links = SubscriptionLinks(None, root=ROOT)
        for subscriber in subscribers(100, seed=5):
            assert links.confirm(subscriber) == confirm_url(subscriber, root=ROOT)


def test_the_root_defaults_to_the_app_root_url(db):
    subscriber = subscribers(0, seed=1)[0]
    with frozen():
        assert SubscriptionLinks().unsubscribe(subscriber) == unsubscribe_url(
            subscriber
        )


def test_the_signing_key_is_secret_key_even_with_fallbacks(settings):
    settings.SECRET_KEY = "another-test-only-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = ["an-old-test-only-key-" + "y" * 40]
    subscriber = subscribers(0, seed=1)[2]
    with frozen():
        links = SubscriptionLinks([MailingList(id=3)], root=ROOT)
        assert links.unsubscribe(subscriber) == unsubscribe_url(
            subscriber, [MailingList(id=3)], root=ROOT
        )


@pytest.mark.parametrize("lists", [None, [], [4, 2], list(range(1, 41))])
def test_the_tokens_read_back(make_subscriber, lists):
    subscriber = make_subscriber()
    mailing_lists = None if lists is None else [MailingList(id=i) for i in lists]
    links = SubscriptionLinks(mailing_lists, root=ROOT)
    token = links.unsubscribe(subscriber).rstrip("/").rsplit("/", 1)[-1]
    found, list_ids = read_subscription_token(token)
    assert found.pk == subscriber.pk
    assert list_ids == (None if lists is None else sorted(lists))
    optin = links.confirm(subscriber).rstrip("/").rsplit("/", 1)[-1]
    assert read_optin_token(optin).pk == subscriber.pk
