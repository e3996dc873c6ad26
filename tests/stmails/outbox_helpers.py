"""A real SMTP sink (aiosmtpd on loopback) for the outgoing mail queue's tests."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from email import policy

from aiosmtpd.controller import Controller

from stmails.config import update_settings

SERVER_UUID = "22222222-2222-4222-8222-222222222222"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """Keeps every accepted message; replies as told per recipient.

    `rcpt_replies` maps an address to its reply to RCPT TO ("550 5.1.1 ...").
    `hold_rcpt` / `hold_data` make the server wait (without answering) in RCPT
    TO, or after storing the message in DATA, until `release` is set;
    `holding` is set when it starts waiting.
    """

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.rcpt_replies: dict[str, str] = {}
        self.hold_rcpt = False
        self.hold_data = False
        self.holding = threading.Event()
        self.release = threading.Event()

    async def _hold(self):
        self.holding.set()
        while not self.release.is_set():
            await asyncio.sleep(0.05)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd hook)
        if self.hold_rcpt:
            self.hold_rcpt = False
            await self._hold()
        reply = self.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        self.envelopes.append(envelope)
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=policy.default)
        )
        if self.hold_data:
            self.hold_data = False
            await self._hold()
        return "250 2.0.0 Ok: queued as 1234"


def start_sink(sink: Sink, port: int | None = None) -> Controller:
    controller = Controller(sink, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    return controller


def smtp_server(port: int, **kw) -> dict:
    server = {
        "uuid": SERVER_UUID,
        "enabled": True,
        "host": "127.0.0.1",
        "port": port,
        "auth_protocol": "none",
        "username": "",
        "password": "",
        "tls_type": "none",
        "hello_hostname": "stmails.test",
    }
    server.update(kw)
    return server


def use_servers(*servers: dict) -> None:
    update_settings({"smtp": list(servers)})
