"""Which SMTP servers a mail goes through, by its From address (listmonk's
`from_addresses` on each server of Settings → SMTP).

The one place a server is chosen: campaign slots (campaigns.sending) and the
outgoing queue (stmails.outbox) both ask `servers_for`.

The rule:
- a server whose `from_addresses` names the mail's From address, or its
  domain, takes it (several such servers share the mail);
- a mail no server claims goes through the servers without `from_addresses`;
- when every enabled server has `from_addresses` and none matches, the mail
  goes through any enabled server, as in listmonk, rather than stay unsent.

listmonk sends a mail nobody claims through any server; stmails keeps it off
the servers set aside for other senders while a general one exists, since those
would sign it for the wrong domain or refuse it.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

from stmails import config

_DURATION = re.compile(r"(\d+)(ms|s|m|h)")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def sender_address(from_email: str) -> str:
    """The bare address of a From value such as "News <news@example.com>", lower case."""
    return parseaddr(from_email or "")[1].strip().lower()


def claims(server: dict, address: str) -> bool:
    """Whether the server's from_addresses name this address or its domain."""
    domain = address.rpartition("@")[2]
    for entry in server.get("from_addresses") or []:
        entry = entry.lower()
        if entry == address if "@" in entry else entry == domain:
            return True
    return False


def route(servers: list[dict], from_email: str) -> list[dict]:
    """The enabled servers, in their order, a mail with this From goes through."""
    enabled = [s for s in servers if s.get("enabled")]
    address = sender_address(from_email)
    claiming = [s for s in enabled if claims(s, address)]
    if claiming:
        return claiming
    general = [s for s in enabled if not s.get("from_addresses")]
    return general or enabled


def servers_for(from_email: str) -> list[dict]:
    """route() over the configured servers (credentials decrypted)."""
    return route(config.get_value("smtp"), from_email)


def retry_delay(server: dict | None) -> float:
    """The server's msg_retry_delay in seconds (listmonk's "10ms" default)."""
    match = _DURATION.fullmatch(str((server or {}).get("msg_retry_delay") or "10ms"))
    if not match:
        return 0.01
    return int(match[1]) * _SECONDS[match[2]]
