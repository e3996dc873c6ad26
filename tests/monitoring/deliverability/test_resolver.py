"""stmails.lib.dns_resolver over real UDP, against a tiny DNS server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.rrset
import pytest

from monitoring.deliverability.lookups import Lookups
from monitoring.deliverability.report import check_target
from monitoring.deliverability.targets import build_plan
from stmails.lib import dns_resolver
from stmails.lib.dns_resolver import LookupFailed, NoRecord
from tests.monitoring.deliverability.fakes import rsa_key

KEY = rsa_key(2048)
ZONE = {
    # A TXT record longer than 255 bytes travels as several strings.
    ("example.com", "TXT"): ['"v=spf1 ip4:192.0.2.0/24 -all"', '"other=1"'],
    ("example.com", "MX"): ["20 mx2.example.com.", "10 mx1.example.com."],
    ("s1._domainkey.example.com", "CNAME"): ["s1.dkim.provider.example."],
    ("s1.dkim.provider.example", "TXT"): [
        f'"v=DKIM1; k=rsa; p={KEY[:200]}" "{KEY[200:]}"'
    ],
    ("_dmarc.example.com", "TXT"): [
        '"v=DMARC1; p=reject; rua=mailto:dmarc@example.com"'
    ],
    ("nodata.example", "A"): ["192.0.2.1"],
}
SERVFAIL = {"broken.example"}
SILENT = {"silent.example"}


class TinyDns:
    """Answers one UDP question at a time from ZONE, following CNAMEs."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop.is_set():
            try:
                data, addr = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            reply = self.answer(dns.message.from_wire(data))
            if reply is not None:
                self.sock.sendto(reply.to_wire(), addr)

    def answer(self, query):
        question = query.question[0]
        qname = question.name
        name = qname.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        if name in SILENT:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        if name in SERVFAIL:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        alias = ZONE.get((name, "CNAME"))
        if alias and rdtype != "CNAME":
            response.answer.append(
                dns.rrset.from_text(qname, 60, "IN", "CNAME", *alias)
            )
            qname = dns.name.from_text(alias[0])
            name = qname.to_text(omit_final_dot=True)
        records = ZONE.get((name, rdtype))
        if records:
            response.answer.append(
                dns.rrset.from_text(qname, 60, "IN", rdtype, *records)
            )
        elif not any(n == name for n, _ in ZONE):
            response.set_rcode(dns.rcode.NXDOMAIN)
        return response

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def tiny_dns(monkeypatch):
    server = TinyDns()
    monkeypatch.setenv("STMAILS_DNS_SERVERS", f"127.0.0.1:{server.port}")
    monkeypatch.setenv("STMAILS_DNS_TIMEOUT", "0.5")
    yield server
    server.close()


def test_it_reads_txt_records_joining_their_strings(tiny_dns):
    records = dns_resolver.txt("example.com")
    assert sorted(records) == ["other=1", "v=spf1 ip4:192.0.2.0/24 -all"]
    (dkim,) = dns_resolver.txt("s1._domainkey.example.com")
    assert dkim == f"v=DKIM1; k=rsa; p={KEY}"


def test_it_reads_cname_and_mx(tiny_dns):
    assert dns_resolver.cname("s1._domainkey.example.com") == "s1.dkim.provider.example"
    assert dns_resolver.cname("example.com") is None
    assert dns_resolver.mx("example.com") == [
        (10, "mx1.example.com"),
        (20, "mx2.example.com"),
    ]


@pytest.mark.parametrize("name", ["missing.example", "nodata.example"])
def test_it_reports_nxdomain_and_nodata_as_no_record(tiny_dns, name):
    with pytest.raises(NoRecord):
        dns_resolver.txt(name)


@pytest.mark.parametrize("name", ["broken.example", "silent.example"])
def test_it_reports_servfail_and_silence_as_lookup_failed(tiny_dns, name):
    with pytest.raises(LookupFailed) as caught:
        dns_resolver.txt(name)
    assert not isinstance(caught.value, NoRecord)


def test_it_runs_the_whole_check_over_udp(tiny_dns):
    values = {
        "app.from_email": "news@example.com",
        "smtp": [{"enabled": True, "host": "smtp.example.com", "email_headers": []}],
        "campaign.verp_enabled": False,
        "campaign.verp_domain": "",
        "deliverability.dkim_selectors": ["s1"],
        "deliverability.extra_domains": [],
    }
    plan = build_plan(values, [])
    report = check_target(plan.targets[0], plan, Lookups())
    findings = {(s.label, f.title) for s in report.sections for f in s.findings}
    assert report.status == "ok", findings
    assert (
        "DKIM selector s1",
        "RSA DKIM key found (2048 bits) (through the alias s1.dkim.provider.example)",
    ) in findings


@pytest.mark.parametrize(
    ("value", "servers"),
    [
        ("", []),
        ("127.0.0.1:5353, 192.0.2.53", [("127.0.0.1", 5353), ("192.0.2.53", 53)]),
        ("[::1]:5300,::1", [("::1", 5300), ("::1", 53)]),
    ],
)
def test_it_parses_the_server_list(value, servers):
    assert dns_resolver.parse_servers(value) == servers


def test_it_fails_lookups_politely_without_resolv_conf(monkeypatch):
    def no_config(self, filename):
        raise dns.resolver.NoResolverConfiguration("no resolv.conf")

    monkeypatch.delenv("STMAILS_DNS_SERVERS", raising=False)
    monkeypatch.setattr(dns.resolver.Resolver, "read_resolv_conf", no_config)
    with pytest.raises(LookupFailed, match="no DNS server configured"):
        dns_resolver.txt("example.com")
