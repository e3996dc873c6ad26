"""Shared fixtures: admins, API users, clients, small factories, service checks."""

from __future__ import annotations

import base64
import os
import socket

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from stmails.services import create_api_user
from subscribers.models import MailingList, Subscriber

ADMIN_PASSWORD = "correct-horse-battery-staple"


# `make test-fast` runs -m "not slow". Besides the modules that say
# `pytestmark = pytest.mark.slow` (fuzzing, the bad-input battery, the schema
# run, manage.py processes, killed scans), these are slow wherever they are: a
# real Chromium, Postfix and Exim, a Celery worker on Redis, and Dovecot.
SLOW_MARKERS = {"browser", "mta", "redis"}
SLOW_FIXTURES = {"dovecot_server"}


@pytest.hookimpl(tryfirst=True)  # before -m deselects anything
def pytest_collection_modifyitems(config, items):
    for item in items:
        marked = {mark.name for mark in item.iter_markers()}
        if SLOW_MARKERS & marked or SLOW_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)


def service_reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip when a service is missing, but fail under CI=true (a skip would hide it)."""
    if service_reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: missing services fail the run)")
    pytest.skip(message)


def basic_auth(name: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{secret}".encode()).decode()


@pytest.fixture(autouse=True)
def forget_event_listeners():
    """A rolled-back test's endpoints must not linger in the listeners cache."""
    from stmails.event_hooks.services import forget_listeners

    forget_listeners()
    yield
    forget_listeners()


@pytest.fixture(autouse=True)
def no_periodic_log_settings_read():
    """The logging sync reads the settings at most every few seconds, so whether
    that read lands inside a test (and in its query counts) depends on the
    clock. Tests start as if it had just run; the runtime-logging tests reset
    the throttle themselves."""
    from stmails import runtime_logging

    runtime_logging._state["checked"] = float("inf")
    yield
    runtime_logging._state["checked"] = float("-inf")


@pytest.fixture(autouse=True)
def tracking_settings_forgotten():
    """The tracking endpoints keep the privacy settings for a few seconds; a
    test that changes them must not see the previous test's."""
    from campaigns.tracking.hits import forget_settings

    forget_settings()
    yield


@pytest.fixture(autouse=True)
def celery_config_restored():
    """A test that sends to a real broker must not leave the next one (in any
    folder, in any order) without eager tasks or pointed at its broker."""
    from stmails.celery import app

    saved = (app.conf.task_always_eager, app.conf.broker_url)
    yield
    app.conf.task_always_eager, app.conf.broker_url = saved


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing costs 1-2 s per admin; tests check logic, not key stretching."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def allow_loopback_receivers(settings):
    """Outgoing HTTP refuses loopback addresses unless the operator allows them:
    tests whose receivers listen on 127.0.0.1 say so, as an on-premises install would."""
    settings.STMAILS_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]


@pytest.fixture
def alice(db):
    """The admin."""
    return get_user_model().objects.create_user(
        username="alice",
        email="alice@example.com",
        password=ADMIN_PASSWORD,
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def client_alice(alice):
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def api_user(db):
    """An API user and its token: (ApiUser, token)."""
    return create_api_user("bot")


@pytest.fixture
def api_client(api_user):
    """A client that sends the API user's basic auth on every request."""
    user, token = api_user
    return Client(HTTP_AUTHORIZATION=basic_auth(user.name, token))


@pytest.fixture
def make_list(db):
    def make(name="News", **kw):
        return MailingList.objects.create(name=name, **kw)

    return make


@pytest.fixture
def make_subscriber(db):
    counter = {"n": 0}

    def make(email=None, **kw):
        counter["n"] += 1
        email = email or f"user{counter['n']}@example.com"
        kw.setdefault("name", email.split("@")[0])
        return Subscriber.objects.create(email=email, **kw)

    return make
