"""DKIM public keys at <selector>._domainkey.<domain> (RFC 6376 section 3.6)."""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from monitoring.deliverability.findings import Section, Severity
from monitoring.deliverability.lookups import Lookups, parse_tags
from stmails.lib.dns_resolver import LookupFailed, NoRecord

# RFC 8301: verifiers must not accept RSA keys under 1024 bits; 2048 is the
# size providers hand out today.
MIN_RSA_BITS = 1024
GOOD_RSA_BITS = 2048


def selectors_for(domain: str, entries: list[str]) -> list[str]:
    """The selectors to try for `domain`: plain entries, plus "domain:selector" ones."""
    out: list[str] = []
    for entry in entries:
        scope, sep, selector = entry.rpartition(":")
        if sep and scope.lower() != domain:
            continue
        if selector not in out:
            out.append(selector)
    return out


def check_dkim(domain: str, selectors: list[str], dns: Lookups) -> list[Section]:
    if not selectors:
        section = Section("DKIM", f"<selector>._domainkey.{domain}")
        section.add(
            Severity.WARNING,
            "No DKIM selector entered",
            "DKIM keys live under a name only the signer knows (the selector), so "
            "stmails cannot find them without it.",
            "Enter the selector your SMTP server or provider signs with: the s= "
            "value of the DKIM-Signature header (the header round trip shows it).",
        )
        return [section]
    return [check_selector(domain, s, dns) for s in selectors]


def check_selector(domain: str, selector: str, dns: Lookups) -> Section:
    name = f"{selector}._domainkey.{domain}"
    section = Section(f"DKIM selector {selector}", name)
    try:
        alias = _alias(name, dns)
        records = dns.txt(name)
    except NoRecord:
        records = []
    except LookupFailed as e:
        section.add(
            Severity.UNKNOWN,
            "Could not check DKIM",
            f"The DNS lookup of {name} failed: {e.message}. That does not mean "
            "the key is missing.",
            "Check again in a minute.",
        )
        return section
    keys = [r for r in records if _looks_like_key(r)]
    section.records = [f"CNAME {alias}", *keys] if alias else keys
    if not keys:
        section.add(
            Severity.ERROR,
            f"No DKIM key at {name}",
            "Receivers fetch the public key from this name to check signatures made "
            f"with selector {selector}. Without it the signature fails, and DMARC "
            "can then pass only through SPF.",
            "Publish the TXT (or CNAME) record your SMTP server or provider gives "
            "you, or correct the selector if your mail is signed with another one.",
        )
        return section
    if len(keys) > 1:
        section.add(
            Severity.WARNING,
            "More than one key record",
            f"{name} has {len(keys)} DKIM records; receivers may use either, so "
            "signatures fail at random if one is stale.",
            "Keep only the current key.",
        )
    _check_key(section, parse_tags(keys[0]), alias)
    return section


def _alias(name: str, dns: Lookups) -> str | None:
    # Providers often hand out a CNAME to a key they rotate; that is fine,
    # the TXT lookup follows it. Shown so the admin sees where the key lives.
    try:
        return dns.cname(name)
    except NoRecord:
        return None


def _looks_like_key(record: str) -> bool:
    tags = parse_tags(record)
    return "p" in tags or tags.get("v", "").upper() == "DKIM1"


def _check_key(section: Section, tags: dict[str, str], alias: str | None) -> None:
    via = f" (through the alias {alias})" if alias else ""
    if tags.get("v", "DKIM1") != "DKIM1":
        section.add(
            Severity.ERROR,
            "Unknown DKIM version",
            f"v={tags['v']}: receivers only accept v=DKIM1 and ignore this record.",
            "Use v=DKIM1 or leave v= out.",
        )
        return
    key = "".join((tags.get("p") or "").split())
    if not key:
        section.add(
            Severity.ERROR,
            "DKIM key revoked (p= is empty)",
            "An empty p= means the key was withdrawn: every signature made with this "
            "selector fails.",
            "If you still sign with this selector, publish the current key; "
            "otherwise remove the selector from the list.",
        )
        return
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    key_type = tags.get("k", "rsa").lower()
    if key_type == "ed25519":
        if len(raw) != 32:
            _bad_key(section, "an Ed25519 key must be 32 bytes")
            return
        section.add(
            Severity.OK,
            f"Ed25519 DKIM key found{via}",
            "Some receivers do not check Ed25519 signatures yet; sign with an RSA "
            "key too (a second selector) so they still see a valid signature.",
        )
    elif key_type == "rsa":
        bits = _rsa_bits(raw)
        if bits is None:
            _bad_key(section, "p= is not a valid RSA public key")
            return
        if bits < MIN_RSA_BITS:
            section.add(
                Severity.ERROR,
                f"DKIM key too short ({bits} bits)",
                f"Receivers ignore signatures made with RSA keys under {MIN_RSA_BITS}"
                " bits (RFC 8301), so they count as no signature.",
                "Generate a 2048-bit key, publish it under a new selector, and switch "
                "signing to it.",
            )
        else:
            tip = "" if bits >= GOOD_RSA_BITS else " 2048 bits is the current advice."
            section.add(
                Severity.OK, f"RSA DKIM key found ({bits} bits){via}", f"Usable.{tip}"
            )
    else:
        _bad_key(section, f"k={key_type} is not a key type receivers know")
        return
    if "y" in tags.get("t", "").lower().split(":"):
        section.add(
            Severity.WARNING,
            "DKIM key in testing mode (t=y)",
            "Receivers may treat failed signatures as if there were none, and some "
            "ignore good ones too.",
            "Remove t=y from the record once signing works.",
        )


def _rsa_bits(raw: bytes) -> int | None:
    try:
        public = load_der_public_key(raw)
    except (ValueError, TypeError):
        return None
    return public.key_size if isinstance(public, rsa.RSAPublicKey) else None


def _bad_key(section: Section, why: str) -> None:
    section.add(
        Severity.ERROR,
        "DKIM key is unreadable",
        f"{why[0].upper()}{why[1:]}, so every signature with this selector fails.",
        "Copy the record again from your provider; the p= value is easily cut "
        "short when pasted.",
    )
