"""Alert tests: run the evaluation as the beat task does, a real HTTP receiver."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from monitoring.alerts import services
from monitoring.models import AlertIncident
from stmails.config import update_settings
from tests.stmails.outbox_helpers import free_port

# Every rule's threshold key: `only_rule` switches the others off.
THRESHOLDS = {
    "campaign_bounce_rate": "alerts.campaign_bounce_rate",
    "campaign_complaint_rate": "alerts.campaign_complaint_rate",
    "mailbox_failed_scans": "alerts.mailbox_failed_scans",
    "provider_silent": "alerts.provider_silent_hours",
    "queue_stuck": "alerts.queue_stuck_minutes",
    "unmatched_rising": "alerts.unmatched_per_hour",
}


@pytest.fixture
def evaluate(django_capture_on_commit_callbacks):
    """evaluate_alerts with its after-commit work (mails, POSTs) run at the end."""

    def run(now=None):
        with django_capture_on_commit_callbacks(execute=True):
            return services.evaluate_alerts(now=now)

    return run


@pytest.fixture
def only_rule(db):
    """Switch every rule but one off, so a test sees that rule alone."""

    def only(slug: str, **settings):
        changes = {key: 0 for rule, key in THRESHOLDS.items() if rule != slug}
        update_settings({**changes, **settings})

    return only


def open_incidents(rule: str | None = None) -> list[AlertIncident]:
    rows = AlertIncident.objects.filter(closed_at__isnull=True)
    return list(rows.filter(rule=rule) if rule else rows)


class Receiver:
    """A real HTTP server on loopback that keeps every POST and answers `status`."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.status = 200
        self.requests: list[dict] = []
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/alerts"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server hook)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join()
            self.server = None

    def payloads(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()
