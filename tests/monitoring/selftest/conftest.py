"""The probe's real mail path: the outgoing queue -> aiosmtpd -> a Dovecot maildir,
read back over POP3 or IMAP; confirmation links opened on Django's live server."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from stmails.config import update_settings
from tests.bounces.mailboxes.conftest import dovecot_server, mail_user  # noqa: F401
from tests.bounces.mailboxes.dovecot import MailUser
from tests.bounces.mailboxes.helpers import configure
from tests.stmails.outbox_helpers import Sink, smtp_server, start_sink, use_servers


def edit_headers(raw: bytes, *, strip=(), rewrite=None) -> bytes:
    """The message with header fields (and their folded lines) dropped or replaced,
    as a relay that strips or rewrites headers would leave it."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    out, skipping = [], False
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                out.append(line)
            continue
        name = line.split(b":", 1)[0].decode().strip()
        skipping = any(name.lower().startswith(p.lower()) for p in strip)
        if rewrite and name in rewrite:
            out.append(f"{name}: {rewrite[name]}".encode())
            skipping = True
        elif not skipping:
            out.append(line)
    return b"\r\n".join(out) + sep + body


class DeliveringSink(Sink):
    """An SMTP server that stores each accepted mail in one Dovecot user's INBOX.

    `deliver=False` loses mail; `strip` (header name prefixes) and `rewrite`
    ({name: new value}) edit the message first.
    """

    def __init__(self, user: MailUser):
        super().__init__()
        self.user = user
        self.deliver = True
        self.strip: tuple[str, ...] = ()
        self.rewrite: dict[str, str] = {}

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        reply = await super().handle_DATA(server, session, envelope)
        if self.deliver:
            raw = re.sub(rb"\r?\n", b"\r\n", envelope.original_content)
            self.user.deliver(edit_headers(raw, strip=self.strip, rewrite=self.rewrite))
        return reply


@dataclass
class ProbeSetup:
    sink: DeliveringSink
    user: MailUser
    box: dict


@pytest.fixture
def mail_path(mail_user):  # noqa: F811 (the fixture imported above)
    """SMTP sink delivering into `mail_user`; returns a function that configures
    the mailbox (pop or imap, extra bounce.mailboxes fields) and the probe."""
    sink = DeliveringSink(mail_user)
    controller = start_sink(sink)
    use_servers(smtp_server(controller.port))

    def setup(kind: str = "pop", **box_fields) -> ProbeSetup:
        [box] = configure(mail_user.box(kind, "none", **box_fields))
        update_settings(
            {
                "probe.address": mail_user.email,
                "probe.mailbox": box["uuid"],
                "probe.wait_minutes": 15,
            }
        )
        return ProbeSetup(sink, mail_user, box)

    yield setup
    controller.stop()
