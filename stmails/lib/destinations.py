"""Which network addresses outgoing HTTP may reach (SSRF protection).

Loopback, link-local (169.254.169.254, the cloud metadata service), private,
shared, multicast, reserved and unspecified addresses are refused unless the
operator names the host or its network in STMAILS_ALLOWED_PRIVATE_HOSTS (an
on-premises receiver). stmails.lib.http checks the address it is about to
connect to, after resolving, so a name that resolves to a public address
when saved and to 127.0.0.1 when used (DNS rebinding) is still refused.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Checked in this order; the first that applies names the refusal.
_KINDS = (
    ("is_unspecified", "unspecified"),
    ("is_loopback", "loopback"),
    ("is_link_local", "link-local"),
    ("is_multicast", "multicast"),
    ("is_private", "private"),
    ("is_reserved", "reserved"),
)


@lru_cache(maxsize=8)
def parse_allowed(
    entries: tuple[str, ...],
) -> tuple[frozenset[str], tuple[IPNetwork, ...]]:
    """("Hooks.lan", "10.1.0.0/16") -> ({"hooks.lan"}, (IPv4Network(10.1.0.0/16),))."""
    names, networks = set(), []
    for entry in entries:
        entry = entry.strip()
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            if entry:
                names.add(entry.lower().rstrip("."))
    return frozenset(names), tuple(networks)


def address_kind(ip: IPAddress) -> str | None:
    """Why `ip` is not a public destination ("loopback", ...), or None if it is."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for attr, kind in _KINDS:
        if getattr(ip, attr):
            return kind
    if not ip.is_global:
        return "non-public"
    return None


def refusal(host: str, ip: IPAddress, allowed: Iterable[str]) -> str | None:
    """The reason to refuse connecting to `ip` for `host`, or None to go ahead."""
    kind = address_kind(ip)
    if kind is None:
        return None
    names, networks = parse_allowed(tuple(allowed))
    if host.lower().rstrip(".") in names or any(ip in n for n in networks):
        return None
    return (
        f"{host} resolves to {ip}, a {kind} address "
        "(allow it with STMAILS_ALLOWED_PRIVATE_HOSTS)"
        if host != str(ip)
        else f"{ip} is a {kind} address (allow it with STMAILS_ALLOWED_PRIVATE_HOSTS)"
    )


def refused_literal(url: str, allowed: Iterable[str]) -> str | None:
    """For a form: the refusal of a URL whose host is an IP address literal.

    Names are only checked when connecting (they may resolve differently then).
    """
    try:
        host = urlsplit(url).hostname or ""
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    return refusal(host, ip, allowed)
