"""The one DNS choke point (tests swap the backend with `set_resolver`).

dnspython with a short lifetime on every query, so a dead DNS server costs
seconds, not a hung web worker. Two outcomes are kept apart because they mean
different things to an admin:

- `NoRecord`: the name does not exist or has no record of that type (NXDOMAIN,
  NODATA). "Missing" is a finding.
- `LookupFailed`: timeout, SERVFAIL, refused, no server reachable. "Could not
  check" is not "missing".

Environment (read on every lookup, so tests and ops can change it live):
STMAILS_DNS_SERVERS  comma-separated servers, `ip` or `ip:port` / `[ipv6]:port`;
                     unset = the system's resolv.conf.
STMAILS_DNS_TIMEOUT  seconds for one lookup, retries included (default 3).
"""

from __future__ import annotations

import os
from typing import Protocol

import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

DEFAULT_TIMEOUT = 3.0


class DnsError(Exception):
    """A lookup without a usable answer; the message is safe to show."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


class NoRecord(DnsError):
    """NXDOMAIN or no record of the asked type: the record is missing."""


class LookupFailed(DnsError):
    """The question could not be answered (timeout, SERVFAIL, no server)."""


class Resolver(Protocol):
    def txt(self, name: str) -> list[str]: ...

    def cname(self, name: str) -> str | None: ...

    def mx(self, name: str) -> list[tuple[int, str]]: ...


def parse_servers(value: str) -> list[tuple[str, int]]:
    """Parse "1.1.1.1, 127.0.0.1:5353, [::1]:53" into [(address, port), ...]."""
    servers = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        port = 53
        if item.startswith("["):
            host, _, rest = item[1:].partition("]")
            if rest.startswith(":"):
                port = int(rest[1:])
        elif item.count(":") == 1:
            host, _, port_text = item.partition(":")
            port = int(port_text)
        else:
            host = item
        servers.append((host, port))
    return servers


class DnsPythonResolver:
    """The real backend: recursive lookups through dnspython."""

    def __init__(
        self,
        servers: list[tuple[str, int]] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ):
        if servers:
            self._resolver = dns.resolver.Resolver(configure=False)
            self._resolver.nameservers = [
                dns.nameserver.Do53Nameserver(host, port) for host, port in servers
            ]
        else:
            try:
                self._resolver = dns.resolver.Resolver()
            except dns.resolver.NoResolverConfiguration:
                # No /etc/resolv.conf (some containers): every lookup fails
                # with a message saying so instead of the page crashing.
                self._resolver = dns.resolver.Resolver(configure=False)
        # One server try may take the whole budget; lifetime caps retries too.
        self._resolver.timeout = timeout
        self._resolver.lifetime = timeout

    def _resolve(self, name: str, rdtype: str) -> dns.resolver.Answer:
        if not self._resolver.nameservers:
            raise LookupFailed(name, "no DNS server configured (STMAILS_DNS_SERVERS)")
        try:
            qname = dns.name.from_text(name)
        except dns.exception.DNSException:
            raise LookupFailed(name, "not a valid domain name") from None
        try:
            return self._resolver.resolve(qname, rdtype, search=False)
        except dns.resolver.NXDOMAIN:
            raise NoRecord(name, "the name does not exist (NXDOMAIN)") from None
        except dns.resolver.NoAnswer:
            raise NoRecord(name, f"no {rdtype} record") from None
        except dns.exception.Timeout:
            raise LookupFailed(name, "DNS did not answer in time") from None
        except dns.resolver.NoNameservers:
            raise LookupFailed(
                name, "every DNS server failed to answer (SERVFAIL or refused)"
            ) from None
        except dns.exception.DNSException as e:
            raise LookupFailed(name, f"DNS error: {e.__class__.__name__}") from None

    def txt(self, name: str) -> list[str]:
        answer = self._resolve(name, "TXT")
        # A TXT record is a list of <=255-byte strings meant to be read joined.
        return [
            b"".join(rdata.strings).decode("utf-8", "replace")
            for rdata in answer
            if rdata.rdtype == dns.rdatatype.TXT
        ]

    def cname(self, name: str) -> str | None:
        try:
            answer = self._resolve(name, "CNAME")
        except NoRecord:
            return None
        return next(iter(answer)).target.to_text(omit_final_dot=True)

    def mx(self, name: str) -> list[tuple[int, str]]:
        answer = self._resolve(name, "MX")
        return sorted(
            (rdata.preference, rdata.exchange.to_text(omit_final_dot=True))
            for rdata in answer
        )


_override: Resolver | None = None


def set_resolver(resolver: Resolver | None) -> Resolver | None:
    """Use `resolver` for every lookup (None = back to the real one); returns the old."""
    global _override
    previous, _override = _override, resolver
    return previous


def get_resolver() -> Resolver:
    if _override is not None:
        return _override
    servers = parse_servers(os.environ.get("STMAILS_DNS_SERVERS", ""))
    timeout = float(os.environ.get("STMAILS_DNS_TIMEOUT") or DEFAULT_TIMEOUT)
    return DnsPythonResolver(servers, timeout)


def txt(name: str) -> list[str]:
    """TXT records at `name`, each one's strings joined; NoRecord / LookupFailed."""
    return get_resolver().txt(name)


def cname(name: str) -> str | None:
    """The CNAME target of `name`, or None if it is not an alias; LookupFailed."""
    return get_resolver().cname(name)


def mx(name: str) -> list[tuple[int, str]]:
    """(preference, host) pairs, lowest first; NoRecord / LookupFailed."""
    return get_resolver().mx(name)
