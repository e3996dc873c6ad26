"""DNS lookups for one check run (memoized), organizational domains, tag lists."""

from __future__ import annotations

from stmails.lib import dns_resolver
from stmails.lib.dns_resolver import DnsError, LookupFailed, Resolver

# After this many failed lookups in one run the rest are skipped: a DNS server
# that does not answer would otherwise cost its timeout on every query.
MAX_FAILURES = 3

# Public suffixes with two labels that mail senders commonly sit under. The
# organizational domain is the registrable domain: the last two labels, or
# three under one of these. A deliberate simplification of the Public Suffix
# List (RFC 7489 section 3.2): no dependency and no list to keep fresh; a
# domain under a suffix missing here is treated as one level too high, which
# only makes the alignment and DMARC fallback checks stricter, never looser.
TWO_LABEL_SUFFIXES = frozenset(
    """
    co.uk org.uk ac.uk gov.uk me.uk ltd.uk plc.uk net.uk sch.uk
    com.au net.au org.au edu.au gov.au co.nz org.nz net.nz
    co.jp ne.jp or.jp ac.jp go.jp co.kr or.kr co.in net.in org.in firm.in
    com.br net.br org.br com.mx org.mx com.ar com.co com.pe com.tr org.tr
    co.za org.za com.cn net.cn org.cn com.hk com.sg com.tw com.my co.id
    co.il org.il co.th com.ua com.pl com.es com.pt co.at or.at
    """.split()
)


def org_domain(domain: str) -> str:
    """The organizational domain: mail.news.example.co.uk -> example.co.uk."""
    labels = domain.lower().rstrip(".").split(".")
    keep = 3 if ".".join(labels[-2:]) in TWO_LABEL_SUFFIXES else 2
    return ".".join(labels[-keep:])


def parse_tags(record: str) -> dict[str, str]:
    """DKIM/DMARC "k=v; k2=v2" tag lists; the first of a repeated tag wins."""
    tags: dict[str, str] = {}
    for part in record.split(";"):
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if sep and name and name not in tags:
            tags[name] = value.strip()
    return tags


class Lookups:
    """Answers for one check run: each name is asked once, errors included.

    Domains share SPF includes and org-level DMARC records; asking once keeps a
    check within a handful of queries and gives every card the same answer.
    Each method returns the records or raises the resolver's DnsError.
    """

    def __init__(self, resolver: Resolver | None = None):
        self.resolver = resolver or dns_resolver.get_resolver()
        self._memo: dict[tuple[str, str], object] = {}
        self.queries = 0
        self.failures = 0

    def _ask(self, kind: str, name: str):
        key = (kind, name.lower().rstrip("."))
        if key not in self._memo and self.failures >= MAX_FAILURES:
            raise LookupFailed(key[1], "skipped: DNS stopped answering earlier")
        if key not in self._memo:
            self.queries += 1
            try:
                self._memo[key] = getattr(self.resolver, kind)(key[1])
            except LookupFailed as e:
                self.failures += 1
                self._memo[key] = e
            except DnsError as e:
                self._memo[key] = e
        answer = self._memo[key]
        if isinstance(answer, DnsError):
            raise answer
        return answer

    def txt(self, name: str) -> list[str]:
        return list(self._ask("txt", name))

    def cname(self, name: str) -> str | None:
        return self._ask("cname", name)

    def mx(self, name: str) -> list[tuple[int, str]]:
        return list(self._ask("mx", name))
