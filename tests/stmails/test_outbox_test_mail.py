"""Settings → SMTP "send test mail" bypasses the queue and shows the exact error."""

from __future__ import annotations

import pytest

from tests.stmails.outbox_helpers import Sink, smtp_server, start_sink, use_servers

pytestmark = [pytest.mark.smtp, pytest.mark.django_db]


@pytest.fixture
def port():
    sink = Sink()
    sink.rcpt_replies["gone@example.com"] = "550 5.1.1 <gone@example.com>: No such user"
    controller = start_sink(sink)
    use_servers(smtp_server(controller.port))
    yield controller.port
    controller.stop()


def test_it_shows_the_rcpt_dialogue_error_of_a_test_mail(api_client, port):
    body = dict(smtp_server(port), email="gone@example.com")
    r = api_client.post(
        "/api/settings/smtp/test", body, content_type="application/json"
    )
    assert r.status_code == 400
    assert r.json() == {
        "message": "RCPT TO: 550 5.1.1 <gone@example.com>: No such user"
    }
