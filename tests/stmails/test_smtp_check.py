"""SMTP connection tests against a real aiosmtpd server on loopback.

Covers stmails.smtp_check, POST /api/settings/smtp/test and the "Test connection"
buttons of Settings → SMTP.
"""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from stmails import config
from stmails.smtp_check import SmtpCheckError, check_smtp, send_test_mail
from tests.conftest import basic_auth

pytestmark = pytest.mark.smtp

USER, PASSWORD = "mailer", "s3cret-pass"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        self.envelopes.append(envelope)
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    # handled=False: aiosmtpd then answers a failure with 535 itself.
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("cert")
    crt, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(crt)],
        check=True, capture_output=True,
    )  # fmt: skip
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(crt, key)
    return ctx


def _start(handler, **kw):
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
        auth_require_tls=False, **kw,
    )  # fmt: skip
    controller.start()
    return controller


@pytest.fixture(scope="module")
def smtp_plain(cert):
    """Plain SMTP that offers STARTTLS (not required) and AUTH."""
    sink = Sink()
    c = _start(sink, tls_context=cert, require_starttls=False)
    yield c.port, sink
    c.stop()


@pytest.fixture(scope="module")
def smtp_tls(cert):
    """Implicit TLS (SMTPS)."""
    sink = Sink()
    c = _start(sink, ssl_context=cert)
    yield c.port, sink
    c.stop()


def server(port, **kw):
    s = {
        "uuid": "11111111-1111-4111-8111-111111111111",
        "host": "127.0.0.1",
        "port": port,
        "auth_protocol": "login",
        "username": USER,
        "password": PASSWORD,
        "tls_type": "none",
        "tls_skip_verify": False,
        "hello_hostname": "stmails.test",
    }
    s.update(kw)
    return s


def test_it_logs_in_with_login_and_plain(smtp_plain):
    port, _ = smtp_plain
    check_smtp(server(port))
    check_smtp(server(port, auth_protocol="plain"))
    check_smtp(server(port, auth_protocol="none", password=""))


def test_it_reports_the_servers_535_on_a_wrong_password(smtp_plain):
    port, _ = smtp_plain
    with pytest.raises(SmtpCheckError) as e:
        check_smtp(server(port, password="wrong"))
    assert e.value.message == "535 5.7.8 Authentication credentials invalid"
    assert "wrong" not in e.value.message


def test_it_reports_connection_refused():
    port = free_port()  # nothing listens there any more
    with pytest.raises(SmtpCheckError) as e:
        check_smtp(server(port), timeout=3)
    assert e.value.message == f"cannot connect to 127.0.0.1:{port}: Connection refused"


def test_a_host_that_never_greets_is_reported_as_a_connect_timeout():
    # A listening socket nobody answers: TCP connects, the 220 greeting never comes.
    # smtplib words this "Connection unexpectedly closed"; the admin sees a timeout.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        with pytest.raises(SmtpCheckError) as e:
            check_smtp(server(port), timeout=0.5)
    assert e.value.message == (
        f"could not connect to 127.0.0.1:{port} within 0.5 s (timed out)"
    )
    assert "closed the connection" not in e.value.message


def test_an_unreachable_host_is_reported_as_a_connect_timeout(monkeypatch):
    # What a firewalled host does: the TCP connect itself times out.
    def never_connects(address, timeout=None, source_address=None):
        raise TimeoutError("timed out")

    monkeypatch.setattr(smtplib.socket, "create_connection", never_connects)
    with pytest.raises(SmtpCheckError) as e:
        check_smtp(server(25, host="192.0.2.1"), timeout=10)
    assert (
        e.value.message == "could not connect to 192.0.2.1:25 within 10 s (timed out)"
    )


def test_it_does_starttls_with_skip_verify_and_fails_verification_without(smtp_plain):
    port, _ = smtp_plain
    check_smtp(server(port, tls_type="STARTTLS", tls_skip_verify=True))
    with pytest.raises(SmtpCheckError) as e:
        check_smtp(server(port, tls_type="STARTTLS"))
    assert "TLS certificate verification failed: self-signed certificate" in str(
        e.value
    )


def test_it_speaks_implicit_tls(smtp_tls):
    port, _ = smtp_tls
    check_smtp(server(port, tls_type="TLS", tls_skip_verify=True))
    with pytest.raises(SmtpCheckError) as e:
        check_smtp(server(port, tls_type="TLS", password="nope", tls_skip_verify=True))
    assert e.value.message.startswith("535 ")


def test_it_reports_a_tls_handshake_against_a_plain_server(smtp_plain):
    port, _ = smtp_plain
    with pytest.raises(SmtpCheckError) as e:
        check_smtp(server(port, tls_type="TLS", tls_skip_verify=True), timeout=3)
    assert e.value.message.startswith(("TLS error", "the server closed", "timed out"))


def test_it_sends_a_test_mail_that_arrives(smtp_plain):
    port, sink = smtp_plain
    before = len(sink.envelopes)
    s = server(
        port, tls_type="STARTTLS", tls_skip_verify=True,
        email_headers=[{"Return-Path": "bounces@example.com"}],
    )  # fmt: skip
    send_test_mail(s, "rcpt@example.org", "Site <news@example.com>")
    assert len(sink.envelopes) == before + 1
    env = sink.envelopes[-1]
    # As for real mail: the Return-Path header is the envelope sender, then dropped.
    assert env.mail_from == "bounces@example.com"
    assert env.rcpt_tos == ["rcpt@example.org"]
    assert b"Subject: stmails SMTP test" in env.original_content
    assert b"Return-Path" not in env.original_content


def test_the_test_mail_envelope_is_the_from_address_without_return_path(smtp_plain):
    port, sink = smtp_plain
    send_test_mail(server(port), "rcpt@example.org", "Site <news@example.com>")
    assert sink.envelopes[-1].mail_from == "news@example.com"


# --- through the API and the UI ---------------------------------------------------


@pytest.fixture
def stored_server(db, smtp_plain):
    port, _ = smtp_plain
    config.update_settings({"smtp": [server(port)]})
    return port


def test_it_api_tests_with_the_stored_password_when_masked(api_client, stored_server):
    body = server(stored_server, password="\u2022" * 8)
    r = api_client.post(
        "/api/settings/smtp/test", body, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    assert r.json() == {"data": True}


def test_it_api_returns_the_servers_exact_error(api_client, stored_server):
    body = server(stored_server, password="bad")
    r = api_client.post(
        "/api/settings/smtp/test", body, content_type="application/json"
    )
    assert r.status_code == 400
    assert r.json() == {"message": "535 5.7.8 Authentication credentials invalid"}


def test_it_api_sends_a_test_mail_to_email(api_client, stored_server, smtp_plain):
    _, sink = smtp_plain
    body = dict(server(stored_server, password=""), email="check@example.net")
    r = api_client.post(
        "/api/settings/smtp/test", body, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    assert sink.envelopes[-1].rcpt_tos == ["check@example.net"]


def test_it_api_rejects_a_bad_server_naming_the_field(api_client):
    body = server(25, tls_type="SSL")
    r = api_client.post(
        "/api/settings/smtp/test", body, content_type="application/json"
    )
    assert r.status_code == 400
    assert r.json()["message"].startswith("smtp.tls_type: must be one of")


def test_it_api_needs_auth(db):
    from django.test import Client

    r = Client().post("/api/settings/smtp/test", "{}", content_type="application/json")
    assert r.status_code == 401
    r = Client(HTTP_AUTHORIZATION=basic_auth("x", "y")).post(
        "/api/settings/smtp/test",
        json.dumps(server(25)),
        content_type="application/json",
    )
    assert r.status_code == 401


def test_it_shows_the_test_result_on_the_smtp_page(client_alice, stored_server):
    uuid = server(stored_server)["uuid"]
    r = client_alice.post(f"/settings/smtp/{uuid}/test")
    # Post/Redirect/Get: reloading the result page does not test again.
    assert r.status_code == 302 and r["Location"] == "/settings/smtp"
    page = client_alice.get(r["Location"]).content.decode()
    assert f"127.0.0.1:{stored_server}: Connection and login succeeded." in page

    config.update_settings({"smtp": [server(stored_server, password="wrong")]})
    r = client_alice.post(f"/settings/smtp/{uuid}/test", follow=True)
    page = r.content.decode()
    assert "test failed: 535 5.7.8 Authentication credentials invalid" in page
    assert "Connection and login succeeded." not in page  # shown once only


def test_it_tests_the_edit_forms_values_with_the_stored_password(
    client_alice, stored_server, smtp_plain
):
    _, sink = smtp_plain
    uuid = server(stored_server)["uuid"]
    form = _form(server(stored_server, password="\u2022" * 8))
    form.update(action="test", test_email="ui@example.net")
    r = client_alice.post(f"/settings/smtp/{uuid}", form)
    page = r.content.decode()
    assert "Test mail sent to ui@example.net." in page, page
    assert sink.envelopes[-1].rcpt_tos == ["ui@example.net"]

    # Another port needs the password again (tests/stmails/test_secret_destination.py).
    form.update(port=str(free_port()), test_email="", password="s3cret-pass")
    r = client_alice.post(f"/settings/smtp/{uuid}", form)
    assert "Connection refused" in r.content.decode()
    # Testing saves nothing.
    assert config.get_value("smtp")[0]["port"] == stored_server


def _form(s: dict) -> dict:
    data = {k: str(v) for k, v in s.items() if k not in ("uuid", "tls_skip_verify")}
    if s.get("tls_skip_verify"):
        data["tls_skip_verify"] = "on"
    data.update(
        enabled="on", max_conns="10", idle_timeout="15s", wait_timeout="5s",
        max_msg_retries="2", email_headers="[]",
    )  # fmt: skip
    return data
