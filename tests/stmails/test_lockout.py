"""Lockout behind reverse proxies (issue 14, item 7).

Attempts are keyed on account + client address; the client address behind a
trusted proxy comes from X-Forwarded-For; a locked pair gets 429 with
Retry-After; the count is one atomic UPSERT, so parallel attempts cannot
overtake the limit (checked on PostgreSQL with threads).
"""

from __future__ import annotations

import json
import os
import threading

import pytest
from django.db import connection
from django.test import Client, RequestFactory

from stmails import lockout
from stmails.auth import client_address
from tests.conftest import ADMIN_PASSWORD, basic_auth, require_service

URL = "/api/lists"
PROXY = "10.0.0.2"


@pytest.fixture
def behind_proxy(settings):
    settings.STMAILS_TRUSTED_PROXIES = ["10.0.0.0/8", "fd00::/8"]
    settings.STMAILS_AUTH_FAILURE_LIMIT = 3


def via_proxy(client_ip: str, **extra) -> Client:
    """A request as the reverse proxy forwards it: from the proxy, naming the client."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_ip, **extra)


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        # Right-most untrusted entry; what the client itself claimed is ignored.
        (PROXY, "6.6.6.6, 203.0.113.7, 10.0.0.3", "203.0.113.7"),
        (PROXY, "203.0.113.7", "203.0.113.7"),
        ("fd00::5", "2001:db8::9", "2001:db8::9"),
        # Only trusted hops: the left-most of them.
        (PROXY, "10.9.9.9", "10.9.9.9"),
        # Not from a trusted proxy: its header is the client's own claim.
        ("198.51.100.1", "203.0.113.7", "198.51.100.1"),
        # A garbage hop stops the walk.
        (PROXY, "203.0.113.7, not-an-ip", PROXY),
        (PROXY, "", PROXY),
    ],
)
def test_client_address_behind_trusted_proxies(
    behind_proxy, remote, forwarded, expected
):
    request = RequestFactory().get(
        "/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded
    )
    assert client_address(request) == expected


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.STMAILS_TRUSTED_PROXIES = []
    request = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4"
    )
    assert client_address(request) == PROXY


def test_one_attacker_behind_the_proxy_locks_out_only_itself(
    behind_proxy, api_user, alice
):
    user, token = api_user
    attacker = via_proxy("203.0.113.66")
    for _ in range(3):
        r = attacker.get(URL, HTTP_AUTHORIZATION=basic_auth("alice", "guess"))
        assert r.status_code == 401
    r = attacker.get(URL, HTTP_AUTHORIZATION=basic_auth("alice", ADMIN_PASSWORD))
    assert r.status_code == 429
    assert 1 <= int(r["Retry-After"]) <= 300
    assert r.json()["message"].startswith("too many failed")
    # The admin and the API script, behind the same proxy: not locked out.
    admin = via_proxy("203.0.113.7")
    assert (
        admin.get(
            URL, HTTP_AUTHORIZATION=basic_auth("alice", ADMIN_PASSWORD)
        ).status_code
        == 200
    )
    # Keyed on account + address: the attacker's address with another account too.
    r = attacker.get(URL, HTTP_AUTHORIZATION=basic_auth(user.name, token))
    assert r.status_code == 200
    # Successes do not count: a script may authenticate on every request.
    for _ in range(5):
        assert (
            admin.get(URL, HTTP_AUTHORIZATION=basic_auth(user.name, token)).status_code
            == 200
        )


def test_the_bounce_webhook_sender_is_not_locked_out_by_another_client(
    behind_proxy, api_user
):
    user, token = api_user
    for _ in range(4):
        via_proxy("203.0.113.66").post(
            "/webhooks/bounce", "{}", content_type="application/json",
            HTTP_AUTHORIZATION=basic_auth(user.name, "wrong"),
        )  # fmt: skip
    r = via_proxy("198.51.100.20").post(
        "/webhooks/bounce",
        json.dumps({"email": "nobody@example.com", "type": "hard", "source": "api"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic_auth(user.name, token),
    )
    assert r.status_code != 429


def test_the_login_page_locks_an_account_from_one_address(behind_proxy, alice):
    attacker = via_proxy("203.0.113.66")
    for _ in range(3):
        r = attacker.post("/login", {"username": "alice", "password": "guess"})
        assert r.status_code == 200
    r = attacker.post("/login", {"username": "alice", "password": ADMIN_PASSWORD})
    assert r.status_code == 429 and 1 <= int(r["Retry-After"]) <= 300
    r = via_proxy("203.0.113.7").post(
        "/login", {"username": "alice", "password": ADMIN_PASSWORD}
    )
    assert r.status_code == 302


def test_the_public_form_limit_is_per_client_behind_the_proxy(behind_proxy, make_list):
    from subscribers import ratelimit

    news = make_list("News", type="public", optin="single")
    body = {"list_uuids": [str(news.uuid)]}
    for n in range(ratelimit.PER_IP[0] + 5):
        r = via_proxy(f"203.0.113.{n + 1}").post(
            "/api/public/subscription",
            {**body, "email": f"u{n}@example.com"},
            content_type="application/json",
        )
        assert r.status_code == 200, r.content


def test_the_window_and_retry_after(db, settings):
    settings.STMAILS_AUTH_FAILURE_LIMIT = 2
    settings.STMAILS_AUTH_FAILURE_WINDOW = 300
    t0 = 1_000_000.0
    assert lockout.count_attempt("bob", "198.51.100.1", now=t0).allowed
    second = lockout.count_attempt("bob", "198.51.100.1", now=t0 + 1)
    assert second.allowed
    third = lockout.count_attempt("bob", "198.51.100.1", now=t0 + 10)
    assert not third.allowed and third.retry_after == 290
    # A success gives its count back; it does not open the lock by itself.
    lockout.succeeded(second)
    assert lockout.count_attempt("bob", "198.51.100.1", now=t0 + 20).retry_after == 280
    assert (
        lockout.count_attempt("BOB ", "198.51.100.1", now=t0 + 299.5).retry_after == 1
    )
    # Another pair, or the next window: allowed again.
    assert lockout.count_attempt("bob", "198.51.100.2", now=t0 + 20).allowed
    assert lockout.count_attempt("bob", "198.51.100.1", now=t0 + 300).allowed


@pytest.mark.django_db(transaction=True)
def test_parallel_attempts_let_exactly_the_limit_through(api_user, settings):
    if connection.vendor != "postgresql":
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the lockout race needs PostgreSQL (CI=true: no skipping)")
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    require_service("PostgreSQL", "127.0.0.1", 5432)
    settings.STMAILS_AUTH_FAILURE_LIMIT = 10
    user, _ = api_user
    threads_n = 60
    barrier = threading.Barrier(threads_n)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def attempt():
        from django.db import connections

        try:
            client = Client(REMOTE_ADDR="198.51.100.9")
            barrier.wait()
            r = client.get(URL, HTTP_AUTHORIZATION=basic_auth(user.name, "wrong"))
            statuses.append(r.status_code)
        except BaseException as e:  # noqa: BLE001 (reported by the assertion below)
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(statuses) == [401] * 10 + [429] * (threads_n - 10)


def test_metrics_behind_a_local_proxy_see_the_forwarded_client(settings, db):
    settings.STMAILS_TRUSTED_PROXIES = ["127.0.0.1"]
    outside = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert outside.get("/metrics").status_code == 403
    local = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert local.get("/metrics").status_code == 200
