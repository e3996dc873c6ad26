"""A fake DNS for the deliverability tests, and DKIM keys of any size."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from monitoring.deliverability.lookups import Lookups
from stmails.lib.dns_resolver import LookupFailed, NoRecord


def rsa_key(bits: int) -> str:
    """A base64 SubjectPublicKeyInfo of an RSA key with a `bits`-bit modulus.

    Built from numbers: generating real keys is slow and refuses < 1024 bits.
    """
    modulus = (1 << (bits - 1)) | 1
    public = rsa.RSAPublicNumbers(65537, modulus).public_key()
    der = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


class FakeResolver:
    """Answers from dicts; `failing` names time out; everything else is NXDOMAIN."""

    def __init__(self, txt=None, cnames=None, mx=None, failing=()):
        self.txt_records: dict[str, list[str]] = dict(txt or {})
        self.cnames: dict[str, str] = dict(cnames or {})
        self.mx_records: dict[str, list[tuple[int, str]]] = dict(mx or {})
        self.failing = set(failing)
        self.asked: list[tuple[str, str]] = []

    def _check(self, kind: str, name: str) -> None:
        self.asked.append((kind, name))
        if name in self.failing:
            raise LookupFailed(name, "DNS did not answer in time")

    def txt(self, name: str) -> list[str]:
        self._check("txt", name)
        # A recursive resolver follows CNAMEs for a TXT question.
        target = self.cnames.get(name, name)
        if target in self.txt_records:
            return list(self.txt_records[target])
        raise NoRecord(name, "the name does not exist (NXDOMAIN)")

    def cname(self, name: str) -> str | None:
        self._check("cname", name)
        return self.cnames.get(name)

    def mx(self, name: str) -> list[tuple[int, str]]:
        self._check("mx", name)
        if name in self.mx_records:
            return list(self.mx_records[name])
        raise NoRecord(name, "the name does not exist (NXDOMAIN)")


def good_zone(**overrides) -> dict[str, list[str]]:
    """TXT records of a well set up example.com (selector s1)."""
    zone = {
        "example.com": [
            "google-site-verification=abc",
            "v=spf1 include:_spf.mailer.example -all",
        ],
        "_spf.mailer.example": ["v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ~all"],
        "s1._domainkey.example.com": [f"v=DKIM1; k=rsa; p={rsa_key(2048)}"],
        "_dmarc.example.com": [
            "v=DMARC1; p=reject; rua=mailto:dmarc@example.com; adkim=r"
        ],
    }
    zone.update(overrides)
    return {name: records for name, records in zone.items() if records is not None}


def lookups(txt=None, **kwargs) -> Lookups:
    return Lookups(FakeResolver(txt=txt, **kwargs))


def titles(section) -> list[str]:
    return [f.title for f in section.findings]


def finding(section, title_start: str):
    return next(f for f in section.findings if f.title.startswith(title_start))
