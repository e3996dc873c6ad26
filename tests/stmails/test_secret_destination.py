"""A stored secret sent back masked is only reused for the destination it was
entered for (issue 14, item 2): changing host, port, username or TLS mode needs
the secret again, so nobody can make stmails log in to a server of theirs with
a stored password.

Two real listeners on loopback: the stored server and a second one, "the
attacker's", that must never receive the stored password.
"""

from __future__ import annotations

import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from stmails import config
from tests.stmails.test_smtp_check import free_port

pytestmark = pytest.mark.smtp

USER, PASSWORD = "mailer", "stored-s3cret"
MASK = "\u2022" * 8
UUID = "22222222-2222-4222-8222-222222222222"
BOX_UUID = "33333333-3333-4333-8333-333333333333"


class Recorder:
    """An SMTP server that accepts any login and remembers every password."""

    def __init__(self):
        self.passwords: list[bytes] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            self.passwords.append(auth_data.password)
        return AuthResult(success=True, handled=False)


def _smtp(recorder: Recorder) -> Controller:
    controller = Controller(
        object(), hostname="127.0.0.1", port=free_port(), authenticator=recorder,
        auth_require_tls=False,
    )  # fmt: skip
    controller.start()
    return controller


@pytest.fixture
def stored_and_attacker(db):
    """(stored server port, its recorder, attacker port, attacker recorder)."""
    good, evil = Recorder(), Recorder()
    a, b = _smtp(good), _smtp(evil)
    config.update_settings({"smtp": [_server(a.port)]})
    yield a.port, good, b.port, evil
    a.stop()
    b.stop()


def _server(stored_port: int, **kw) -> dict:
    s = {
        "uuid": UUID,
        "host": "127.0.0.1",
        "port": stored_port,
        "auth_protocol": "login",
        "username": USER,
        "password": PASSWORD,
        "tls_type": "none",
    }
    s.update(kw)
    return s


def test_smtp_test_api_refuses_the_stored_password_for_another_server(
    api_client, stored_and_attacker
):
    port, good, evil_port, evil = stored_and_attacker
    for change in ({"port": evil_port}, {"host": "localhost", "port": evil_port}):
        r = api_client.post(
            "/api/settings/smtp/test",
            _server(port, password=MASK, **change),
            content_type="application/json",
        )
        assert r.status_code == 400, r.content
        assert r.json()["message"].startswith("smtp.password: enter it again")
    assert evil.passwords == []
    # Unchanged destination: the stored password is used, as before.
    r = api_client.post(
        "/api/settings/smtp/test",
        _server(port, password=MASK),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert good.passwords == [PASSWORD.encode()]
    # Entered again: the caller knows it, so it may go anywhere.
    r = api_client.post(
        "/api/settings/smtp/test",
        _server(port, port=evil_port, password="typed-again"),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert evil.passwords == [b"typed-again"]


@pytest.mark.parametrize(
    "change",
    [{"username": "other"}, {"tls_type": "STARTTLS"}, {"auth_protocol": "plain"}],
)
def test_smtp_test_api_needs_the_password_for_a_new_username_or_tls_mode(
    api_client, stored_and_attacker, change
):
    port, *_ = stored_and_attacker
    r = api_client.post(
        "/api/settings/smtp/test",
        _server(port, password=MASK, **change),
        content_type="application/json",
    )
    assert r.status_code == 400
    assert r.json()["message"].startswith("smtp.password: enter it again")


def test_put_settings_refuses_to_move_a_stored_smtp_password(
    client_alice, api_client, stored_and_attacker
):
    port, _, evil_port, evil = stored_and_attacker
    body = {"smtp": [_server(port, port=evil_port, password="")]}
    r = api_client.put("/api/settings", body, content_type="application/json")
    assert r.status_code == 400
    assert r.json()["message"].startswith("smtp[0].password: enter it again")
    assert config.get_value("smtp")[0]["port"] == port
    # What a send would use is still the stored server: nothing reached the other.
    assert evil.passwords == []
    # The Settings → SMTP page puts the error beside the password field.
    form = {k: str(v) for k, v in _server(port, port=evil_port).items() if k != "uuid"}
    form.update(
        password=MASK, enabled="on", max_conns="10", idle_timeout="15s",
        wait_timeout="5s", max_msg_retries="2", email_headers="[]",
    )  # fmt: skip
    r = client_alice.post(f"/settings/smtp/{UUID}", form)
    assert r.status_code == 400
    assert "enter it again" in str(r.context["form"].errors["password"])
    r = client_alice.post(f"/settings/smtp/{UUID}", dict(form, action="test"))
    assert "enter it again" in str(r.context["form"].errors["password"])
    assert evil.passwords == []
    # Same server, other fields changed: the masked password is kept.
    body = {"smtp": [_server(port, password=MASK, max_conns=3)]}
    r = api_client.put("/api/settings", body, content_type="application/json")
    assert r.status_code == 200, r.content
    assert config.get_value("smtp")[0]["password"] == PASSWORD


class TcpRecorder:
    """A listener that greets like POP3 and records every connection's bytes."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(2)
                conn.sendall(b"+OK ready\r\n")
                try:
                    while data := conn.recv(4096):
                        self.received.append(data)
                        conn.sendall(b"+OK\r\n")
                except OSError:
                    pass

    def close(self):
        self.sock.close()


def _box(box_port: int, **kw) -> dict:
    box = {
        "uuid": BOX_UUID,
        "name": "main",
        "type": "pop",
        "host": "127.0.0.1",
        "port": box_port,
        "username": "bounces@example.com",
        "password": PASSWORD,
        "tls_type": "none",
    }
    box.update(kw)
    return box


@pytest.fixture
def attacker_pop():
    recorder = TcpRecorder()
    yield recorder
    recorder.close()


def test_mailbox_test_connection_refuses_the_stored_password_elsewhere(
    client_alice, api_client, attacker_pop
):
    from bounces.mailboxes import scanning

    config.update_settings({"bounce.mailboxes": [_box(free_port())]})
    with pytest.raises(config.SettingsError) as e:
        scanning.test_connection(_box(attacker_pop.port, password=MASK))
    assert e.value.field == "mailbox.password"
    # The page's "Test connection" on the edit form: the error beside the field.
    form = {k: str(v) for k, v in _box(attacker_pop.port).items() if k != "uuid"}
    form.update(
        password=MASK, enabled="on", auth_protocol="userpass", scan_interval="15m",
        folder="INBOX", after_bounce="delete", processed_folder="Processed",
        non_bounce="leave", non_bounce_folder="Not bounces", action="test",
    )  # fmt: skip
    r = client_alice.post(f"/settings/bounces/mailboxes/{BOX_UUID}", form)
    assert r.status_code == 400
    assert "enter it again" in str(r.context["form"].errors["password"])
    # Saving it through the API, for the next scan to use: refused too.
    body = {"bounce.mailboxes": [_box(attacker_pop.port, password=MASK)]}
    r = api_client.put("/api/settings", body, content_type="application/json")
    assert r.status_code == 400
    assert r.json()["message"].startswith("bounce.mailboxes[0].password: enter it")
    assert config.get_value("bounce.mailboxes")[0]["port"] != attacker_pop.port
    assert attacker_pop.connections == 0
    assert not any(PASSWORD.encode() in b for b in attacker_pop.received)


def test_a_signing_secret_must_be_entered_again_for_a_new_url(
    client_alice, outbound_keys
):
    config.update_settings(
        {
            "test.hook_url": "https://a.example.com/hook",
            "test.hook_secret": "k1",
        }
    )
    for body in (
        {"test.hook_url": "https://evil.example.net/x"},
        {
            "test.hook_url": "https://evil.example.net/x",
            "test.hook_secret": MASK,
        },
    ):
        r = client_alice.put("/api/settings", body, content_type="application/json")
        assert r.status_code == 400, r.content
        assert r.json()["message"].startswith("test.hook_secret: enter it again")
    assert config.get_value("test.hook_url") == "https://a.example.com/hook"
    # Same URL with the secret masked, or a new URL with a new secret: fine.
    body = {
        "test.hook_url": "https://a.example.com/hook",
        "test.hook_secret": MASK,
    }
    assert (
        client_alice.put(
            "/api/settings", body, content_type="application/json"
        ).status_code
        == 200
    )
    body = {
        "test.hook_url": "https://b.example.com/h",
        "test.hook_secret": "k2",
    }
    assert (
        client_alice.put(
            "/api/settings", body, content_type="application/json"
        ).status_code
        == 200
    )
    assert config.get_value("test.hook_secret") == "k2"
