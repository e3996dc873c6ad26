"""The two test set-ups: a relay stmails sends through and the recipients' MX.

- `postfix_to_exim`: Postfix relays to an Exim MX; Postfix writes the DSNs.
- `exim_to_postfix`: Exim relays to a Postfix MX; Exim writes the DSNs.

The MX answers each recipient of RECIPIENT_DOMAIN as REPLIES says (the rest
are accepted and discarded). The relay gives up on a 4xx at once (Postfix:
`maximal_queue_lifetime = 0`; Exim: a retry rule whose cutoff has passed by
the next forced queue run), and delivers every DSN it writes for
BOUNCE_DOMAIN into a Dovecot user's Maildir, like any MTA delivering to a
mailbox. Every other domain is refused or goes to an error transport: nothing
leaves the machine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from tests.bounces.mailboxes.dovecot import MAIL_UID, MailUser
from tests.mta.exim import Exim
from tests.mta.postfix import Postfix

RECIPIENT_DOMAIN = "remote.test"
BOUNCE_DOMAIN = "bounce.test"

# Local part -> the MX's reply to RCPT TO.
REPLIES = {
    "unknown": "550 5.1.1 User unknown",
    "moved": "551 5.1.6 User has moved; please try <new@elsewhere.test>",
    "full": "552 5.2.2 Mailbox full",
    "full-again": "552 5.2.2 Mailbox full",
    "policy": "554 5.7.1 Message rejected by content policy",
    "later": "450 4.2.1 Mailbox busy, try again later",
}
ACCEPTED = ("ann", "bob")

# Upper bound for the relay to finish (every DSN written); usually 1-3 s.
SETTLE_TIMEOUT = 60


def address(local: str) -> str:
    return f"{local}@{RECIPIENT_DOMAIN}"


@dataclass
class Setup:
    name: str
    relay: Postfix | Exim
    mx: Postfix | Exim
    mailbox: MailUser

    @property
    def relay_port(self) -> int:
        return self.relay.port

    def settle(self, expected: int) -> None:
        """Wait until the relay's queue is empty and `expected` DSNs are in
        the mailbox, retrying deferred mail meanwhile; fail after SETTLE_TIMEOUT."""
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while time.monotonic() < deadline:
            if self.relay.queue_size() == 0 and self.mailbox.count() >= expected:
                return
            self.relay.flush()
            time.sleep(0.5)
        raise AssertionError(
            f"{self.name}: {self.mailbox.count()} of {expected} DSNs, "
            f"{self.relay.queue_size()} queued\n"
            f"relay log:\n{self.relay.log_text()}\nMX log:\n{self.mx.log_text()}"
        )

    def stop(self) -> None:
        self.relay.stop()
        self.mx.stop()


# --- Postfix relay -> Exim MX ---------------------------------------------------

EXIM_MX = r"""
begin acl
check_recipient:
  deny    condition = ${if match{${lookup{$local_part@$domain}lsearch{BASE/replies}}}{\N^5\N}}
          message = ${lookup{$local_part@$domain}lsearch{BASE/replies}}
  defer   condition = ${if match{${lookup{$local_part@$domain}lsearch{BASE/replies}}}{\N^4\N}}
          message = ${lookup{$local_part@$domain}lsearch{BASE/replies}}
  accept  domains = RECIPIENT_DOMAIN
  deny    message = 550 5.7.1 Relaying denied

begin routers
accepted:
  driver = redirect
  domains = RECIPIENT_DOMAIN
  data = :blackhole:
"""

POSTFIX_RELAY = """
relay_domains = {recipients}
transport_maps = inline:{{ {recipients}=smtp:[127.0.0.1]:{mx_port} }}
smtpd_relay_restrictions = permit_mynetworks, reject
virtual_mailbox_domains = {bounces}
virtual_mailbox_base = {mail_root}
virtual_mailbox_maps = static:{maildir}/
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{uid}
virtual_minimum_uid = 100
# A 4xx expires at once: the DSN says the message could not be delivered in time.
maximal_queue_lifetime = 0
bounce_queue_lifetime = 0
"""


def _replies_lsearch() -> str:
    return "".join(
        f"{address(local)}: {code} {ext} <{address(local)}>: {text}\n"
        for local, (code, ext, text) in (
            (k, v.split(" ", 2)) for k, v in REPLIES.items()
        )
    )


def postfix_to_exim(mailbox: MailUser) -> Setup:
    mx = Exim(
        "mx.remote.test",
        EXIM_MX,
        files={"replies": _replies_lsearch()},
        macros={"RECIPIENT_DOMAIN": RECIPIENT_DOMAIN},
    )
    mx.start()
    try:
        mail_root = mailbox.server.base / "mail"
        relay = Postfix(
            "relay.stmails.test",
            POSTFIX_RELAY.format(
                recipients=RECIPIENT_DOMAIN,
                mx_port=mx.port,
                bounces=BOUNCE_DOMAIN,
                mail_root=mail_root,
                maildir=mailbox.maildir.relative_to(mail_root),
                uid=MAIL_UID,
            ),
        )
        relay.start()
    except Exception:
        mx.stop()
        raise
    return Setup("postfix relay -> exim MX", relay, mx, mailbox)


# --- Exim relay -> Postfix MX ---------------------------------------------------

EXIM_RELAY = r"""
# Deliveries happen in the queue runs Setup.settle() starts: a delivery
# process forked by the daemon runs as the exim user (the -C config costs it
# root), and could not write the Maildir as the mail user.
queue_only = true

begin acl
check_recipient:
  accept  hosts = 127.0.0.1
  deny    message = 550 5.7.1 Relaying denied

begin routers
bounces:
  driver = accept
  domains = BOUNCE_DOMAIN
  transport = dovecot_maildir
remote:
  driver = manualroute
  domains = RECIPIENT_DOMAIN
  route_list = * 127.0.0.1
  self = send
  transport = remote_smtp
nowhere:
  driver = redirect
  data = :fail: nothing leaves the machine in tests

begin transports
remote_smtp:
  driver = smtp
  port = MX_PORT
  allow_localhost
dovecot_maildir:
  driver = appendfile
  directory = MAILDIR
  maildir_format
  create_directory
  user = MAIL_UID
  group = MAIL_UID
  return_path_add
  delivery_date_add
  envelope_to_add

begin retry
# A 4xx is final once a second has passed: the next forced queue run bounces it.
*   *   F,1s,1s
"""

POSTFIX_MX = """
relay_domains = {recipients}
transport_maps = inline:{{ {recipients}=discard: }}
smtpd_recipient_restrictions = check_recipient_access regexp:$config_directory/replies,
    permit_mynetworks, reject
"""


def _replies_regexp() -> str:
    return "".join(
        f"/^{local.replace('-', '[-]')}@remote[.]test$/ {reply}\n"
        for local, reply in REPLIES.items()
    )


def exim_to_postfix(mailbox: MailUser) -> Setup:
    mx = Postfix(
        "mx.remote.test",
        POSTFIX_MX.format(recipients=RECIPIENT_DOMAIN),
        files={"replies": _replies_regexp()},
    )
    mx.start()
    try:
        relay = Exim(
            "relay.stmails.test",
            EXIM_RELAY,
            macros={
                "BOUNCE_DOMAIN": BOUNCE_DOMAIN,
                "RECIPIENT_DOMAIN": RECIPIENT_DOMAIN,
                "MX_PORT": mx.port,
                "MAILDIR": mailbox.maildir,
                "MAIL_UID": MAIL_UID,
            },
        )
        relay.start()
    except Exception:
        mx.stop()
        raise
    return Setup("exim relay -> postfix MX", relay, mx, mailbox)
