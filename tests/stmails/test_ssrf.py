"""Outgoing HTTP refuses private destinations (issue 14, item 5).

Event webhooks (alerts too) go through stmails.lib.http, which resolves the
host once, checks every address and connects to the checked one. Receivers here
are real HTTP servers on 127.0.0.1: by default they must get nothing.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import subprocess
import threading

import pytest

from stmails import config
from stmails.event_hooks import services as event_hooks
from stmails.lib import destinations, http
from stmails.models import EventDelivery
from tests.stmails.event_hooks.helpers import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("fd00::1", "private"),
        ("100.64.0.1", "non-public"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 (an address to classify)
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "private"),
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_address_kinds(address, kind):
    assert destinations.address_kind(ipaddress.ip_address(address)) == kind


def test_a_loopback_receiver_gets_nothing_by_default(receiver, settings):
    settings.STMAILS_ALLOWED_PRIVATE_HOSTS = []
    with pytest.raises(http.DestinationRefused, match="127.0.0.1 is a loopback"):
        http.post(receiver.url, b"{}")
    with pytest.raises(http.DestinationRefused, match="localhost resolves to"):
        http.post(receiver.url.replace("127.0.0.1", "localhost"), b"{}")
    assert receiver.requests == []
    # The operator names the host, or its network: it goes through.
    settings.STMAILS_ALLOWED_PRIVATE_HOSTS = ["127.0.0.0/8"]
    assert http.post(receiver.url, b"{}").status == 200
    settings.STMAILS_ALLOWED_PRIVATE_HOSTS = ["LocalHost"]
    assert (
        http.post(receiver.url.replace("127.0.0.1", "localhost"), b"{}").status == 200
    )
    assert len(receiver.requests) == 2


def _resolve_to(monkeypatch, answers: dict[str, str]) -> list[str]:
    """Make `socket.getaddrinfo` answer names with the given IPs; returns the
    names looked up (DNS as an attacker running the zone would answer)."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def fake(host, port, *args, **kwargs):
        asked.append(host)
        if host in answers:
            return real(answers[host], port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return asked


def test_a_name_resolving_to_loopback_is_refused_when_connecting(
    receiver, monkeypatch, settings
):
    """DNS rebinding: the name looks public; what counts is the address it
    resolves to when connecting, resolved once and connected to as checked."""
    settings.STMAILS_ALLOWED_PRIVATE_HOSTS = []
    asked = _resolve_to(monkeypatch, {"hooks.example.com": "127.0.0.1"})
    url = f"http://hooks.example.com:{receiver.port}/hooks/stmails"
    with pytest.raises(http.DestinationRefused, match="resolves to 127.0.0.1"):
        http.post(url, b"{}")
    assert receiver.requests == [] and asked == ["hooks.example.com"]
    # Allowed by name: it connects to the address it checked, Host unchanged.
    settings.STMAILS_ALLOWED_PRIVATE_HOSTS = ["hooks.example.com"]
    assert http.post(url, b"{}").status == 200
    assert receiver.requests[0].headers["host"] == f"hooks.example.com:{receiver.port}"
    assert asked == ["hooks.example.com"] * 2


def test_https_sends_the_host_name_for_sni_while_connecting_to_the_checked_ip(
    monkeypatch, settings, tmp_path
):
    crt, key = tmp_path / "c.pem", tmp_path / "k.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=hooks.example.com", "-keyout", str(key), "-out", str(crt)],
        check=True, capture_output=True,
    )  # fmt: skip
    seen: list[str | None] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(crt, key)
    context.sni_callback = lambda sock, name, ctx: seen.append(name)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve():
        conn, _ = listener.accept()
        try:
            context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            pass  # the client does not trust the throwaway certificate
        finally:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    settings.STMAILS_ALLOWED_PRIVATE_HOSTS = ["hooks.example.com"]
    _resolve_to(monkeypatch, {"hooks.example.com": "127.0.0.1"})
    port = listener.getsockname()[1]
    with pytest.raises(http.HttpError, match="CERTIFICATE_VERIFY_FAILED"):
        http.post(f"https://hooks.example.com:{port}/x", b"{}", timeout=5)
    thread.join(5)
    listener.close()
    assert seen == ["hooks.example.com"]


def test_an_event_webhook_to_loopback_is_logged_without_an_answer(
    receiver, settings, django_capture_on_commit_callbacks
):
    settings.STMAILS_ALLOWED_PRIVATE_HOSTS = []
    for url in (
        receiver.url.replace("127.0.0.1", "localhost"),
        "http://169.254.169.254/latest/meta-data/",
    ):
        hook = event_hooks.EventHook.objects.create(
            name=url[:50], url=url, events=["subscriber.deleted"]
        )
        hook.set_secret("whsec_" + "A" * 32)
        hook.save()
    event_hooks.forget_listeners()
    with django_capture_on_commit_callbacks(execute=True):
        event_hooks.emit("subscriber.deleted", [{"subscriber": {"id": 1}}])
    rows = list(EventDelivery.objects.order_by("id"))
    assert len(rows) == 2
    for row in rows:
        assert row.status == "awaiting_retry"
        assert row.last_error.startswith("refused destination: ")
        assert row.response_excerpt == "" and row.last_status_code is None
    assert receiver.requests == []


def test_the_endpoint_form_refuses_a_private_ip_url(client_alice, settings):
    settings.STMAILS_ALLOWED_PRIVATE_HOSTS = []
    r = client_alice.post(
        "/settings/event-webhooks/new",
        {
            "name": "meta",
            "url": "http://169.254.169.254/x",
            "events": ["subscriber.deleted"],
        },
    )
    assert r.status_code in (200, 400)
    assert "link-local address" in str(r.context["form"].errors["url"])
    assert not event_hooks.EventHook.objects.exists()


def test_api_users_may_not_change_an_outbound_url_unless_allowed(
    api_client, client_alice, settings, outbound_keys
):
    body = {"test.hook_url": "https://hooks.example.com/alerts"}
    r = api_client.put("/api/settings", body, content_type="application/json")
    assert r.status_code == 403
    assert r.json()["message"].startswith("test.hook_url: API users may not")
    r = api_client.put(
        "/api/settings/test.hook_url",
        json.dumps(body["test.hook_url"]),
        content_type="application/json",
    )
    assert r.status_code == 403
    assert config.get_value("test.hook_url") == ""
    # An admin can; the API user can then send the unchanged map back.
    assert (
        client_alice.put(
            "/api/settings", body, content_type="application/json"
        ).status_code
        == 200
    )
    data = api_client.get("/api/settings").json()["data"]
    data["app.site_name"] = "Lists"
    r = api_client.put("/api/settings", data, content_type="application/json")
    assert r.status_code == 200, r.content
    # The operator may allow API users to set URLs.
    settings.STMAILS_API_USERS_SET_URLS = True
    body = {"test.hook_url": "https://other.example.com/a"}
    assert (
        api_client.put(
            "/api/settings", body, content_type="application/json"
        ).status_code
        == 200
    )
