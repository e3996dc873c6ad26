"""A real HTTP receiver on loopback for the outgoing event webhooks' tests."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.db import transaction

from stmails.event_hooks import services as event_hooks
from stmails.models import EventDelivery, EventHook


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """Records every POST; answers with `statuses` in turn (the last one repeats)."""

    def __init__(self, statuses: tuple[int, ...] = (200,), reply: bytes = b"ok"):
        self.requests: list[Received] = []
        self.statuses = list(statuses)
        self.reply = reply
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(
                    Received(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
                status = (
                    receiver.statuses.pop(0)
                    if len(receiver.statuses) > 1
                    else receiver.statuses[0]
                )
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(receiver.reply)))
                self.end_headers()
                self.wfile.write(receiver.reply)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/stmails"
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def make_hook(url: str, events=None, **kw) -> tuple[EventHook, str]:
    return event_hooks.create_hook(
        name=kw.pop("name", "CRM"),
        url=url,
        events=list(events or event_hooks.EVENT_TYPES),
        **kw,
    )


def deliveries(event_type: str | None = None) -> list[EventDelivery]:
    qs = EventDelivery.objects.order_by("id")
    if event_type:
        qs = qs.filter(event_type=event_type)
    return list(qs)


def in_transaction(fn, *args, **kw):
    """Run fn in its own transaction (nested in the test's), as a request does."""
    with transaction.atomic():
        return fn(*args, **kw)
