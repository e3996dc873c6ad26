"""Settings → Bounces → Bounce mailboxes: add, test connection, scan now, progress."""

from __future__ import annotations

from bounces.models import Bounce, MailboxScan
from stmails.config import get_value, update_settings
from tests.bounces.mailboxes.helpers import configure
from tests.bounces.mailboxes.messages import dsn, plain


def _form(user, **extra):
    data = {
        "enabled": "on",
        "name": "main",
        "type": "pop",
        "host": "127.0.0.1",
        "port": user.server.ports["pop3"],
        "auth_protocol": "userpass",
        "username": user.email,
        "password": user.password,
        "return_path": "",
        "scan_interval": "15m",
        "tls_type": "STARTTLS",
        "tls_skip_verify": "on",
        "folder": "INBOX",
        "after_bounce": "delete",
        "processed_folder": "Processed",
        "non_bounce": "leave",
        "non_bounce_folder": "Not bounces",
    }
    data.update(extra)
    return data


def test_it_adds_a_mailbox(client_alice, mail_user):
    response = client_alice.post("/settings/bounces/mailboxes/new", _form(mail_user))

    assert response.status_code == 302
    [box] = get_value("bounce.mailboxes")
    assert (box["name"], box["tls_type"], box["tls_enabled"]) == (
        "main",
        "STARTTLS",
        True,
    )
    assert box["password"] == mail_user.password
    page = client_alice.get("/settings/bounces/mailboxes").content.decode()
    assert "main" in page and "never" in page
    assert mail_user.password not in page


def test_it_shows_a_settings_error_beside_the_field(client_alice, mail_user):
    response = client_alice.post(
        "/settings/bounces/mailboxes/new", _form(mail_user, after_bounce="move")
    )

    assert response.status_code == 400
    assert "move needs IMAP" in response.content.decode()
    assert get_value("bounce.mailboxes") == []


def test_it_tests_the_connection_with_the_message_count(client_alice, mail_user):
    mail_user.deliver(plain(1))
    mail_user.deliver(plain(2))

    response = client_alice.post(
        "/settings/bounces/mailboxes/new", _form(mail_user, action="test")
    )

    assert "Connection and login succeeded: 2 message(s)" in response.content.decode()
    assert get_value("bounce.mailboxes") == []  # testing saves nothing


def test_it_shows_the_servers_exact_error(client_alice, mail_user):
    [box] = configure(mail_user.box("pop", "TLS", password="wrong"))

    response = client_alice.post(f"/settings/bounces/mailboxes/{box['uuid']}/test")

    # Post/Redirect/Get: the result is a message; a reload does not test again.
    assert response.status_code == 302
    assert response["Location"] == "/settings/bounces/mailboxes"
    page = client_alice.get(response["Location"]).content.decode()
    assert "test failed: -ERR [AUTH] Authentication failed." in page


def test_it_verifies_the_certificate_unless_told_not_to(
    client_alice, mail_user, monkeypatch
):
    [box] = configure(mail_user.box("imap", "TLS", tls_skip_verify=False))
    url = f"/settings/bounces/mailboxes/{box['uuid']}/test"

    page = client_alice.post(url, follow=True).content.decode()
    assert "TLS certificate verification failed: self-signed certificate" in page

    monkeypatch.setenv("SSL_CERT_FILE", str(mail_user.server.cert))
    page = client_alice.post(url, follow=True).content.decode()
    assert "Connection and login succeeded" in page


def test_it_scans_now_and_reports_progress(
    client_alice,
    bounces_on,
    mail_user,
    make_subscriber,
    django_capture_on_commit_callbacks,
):
    make_subscriber("dead@example.com")
    mail_user.deliver(dsn("dead@example.com"))
    [box] = configure(mail_user.box("imap", "STARTTLS"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client_alice.post(f"/settings/bounces/mailboxes/{box['uuid']}/scan")

    assert response.status_code == 302
    assert Bounce.objects.count() == 1
    status = client_alice.get(
        f"/settings/bounces/mailboxes/{box['uuid']}/status"
    ).json()
    assert (status["status"], status["done"], status["percent"]) == ("finished", 1, 100)
    assert status["counts"]["recorded"]["hard"] == 1
    page = client_alice.get("/settings/bounces/mailboxes").content.decode()
    assert "hard 1" in page


def test_it_shows_a_running_scan_with_a_progress_bar(client_alice, mail_user):
    [box] = configure(mail_user.box("pop"))
    MailboxScan.objects.create(mailbox_uuid=box["uuid"], total=10, done=4)

    page = client_alice.get("/settings/bounces/mailboxes").content.decode()

    assert 'data-running="1"' in page and 'aria-valuenow="40"' in page


def test_it_does_not_scan_when_bounce_processing_is_off(client_alice, mail_user):
    mail_user.deliver(dsn("dead@example.com"))
    [box] = configure(mail_user.box("pop"))
    update_settings({"bounce.enabled": False})

    response = client_alice.post(
        f"/settings/bounces/mailboxes/{box['uuid']}/scan", follow=True
    )

    assert "Bounce processing is disabled" in response.content.decode()
    assert not MailboxScan.objects.exists()
    assert mail_user.count() == 1


def test_it_deletes_a_mailbox(client_alice, mail_user):
    [box] = configure(mail_user.box("pop"))

    client_alice.post(f"/settings/bounces/mailboxes/{box['uuid']}/delete")

    assert get_value("bounce.mailboxes") == []
