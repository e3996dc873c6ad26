"""Which tracking hits are not a person (pure: strings and times in, a reason out).

Flagged hits are kept (the raw numbers stay visible on request) but left out
of counts and charts by default. The rules, in order:
1. the user agent of a known image proxy, privacy proxy or link scanner, or
   of a script (curl, python-requests, headless browsers);
2. a view through Apple Mail Privacy Protection: Apple's bare "Mozilla/5.0"
   agent or an address in Apple's 17.0.0.0/8;
3. a click within TOO_SOON of the message going out to that subscriber
   (scanners follow links on delivery);
4. a subscriber "clicking" EVERY_LINK_MIN or more distinct links of a
   campaign within EVERY_LINK_WINDOW (a scanner following every link).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from datetime import datetime, timedelta

TOO_SOON = timedelta(seconds=10)
EVERY_LINK_WINDOW = timedelta(seconds=5)
EVERY_LINK_MIN = 3

# Substrings, matched case-insensitively.
AGENTS = (
    "googleimageproxy",
    "ggpht.com",
    "yahoomailproxy",
    "yahoo! slurp",
    "apple-mail-privacy",
    "microsoft office",  # Outlook/Defender's Safe Links fetcher
    "safelinks",
    "ms-office",
    "bingpreview",
    "proofpoint",
    "mimecast",
    "barracuda",
    "symantec",
    "forcepoint",
    "trendmicro",
    "sophos",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww-perl",
    "headlesschrome",
    "phantomjs",
    "puppeteer",
    "playwright",
    "bot/",
    "bot;",
    "+http",  # crawlers name their info page in the agent
    "spider",
    "crawler",
)
_AGENTS_RE = re.compile("|".join(re.escape(a) for a in AGENTS), re.IGNORECASE)
# Apple's MPP proxy fetches images with exactly this agent.
APPLE_PROXY_AGENTS = {"mozilla/5.0"}
APPLE_NET = ipaddress.ip_network("17.0.0.0/8")


def agent_is_bot(user_agent: str) -> bool:
    ua = user_agent.strip()
    # No agent at all: a script, not a mail client.
    return not ua or bool(_AGENTS_RE.search(ua))


def is_apple_proxy(user_agent: str, ip_net: str) -> bool:
    if user_agent.strip().lower() in APPLE_PROXY_AGENTS:
        return True
    try:
        network = ipaddress.ip_network(ip_net, strict=False)
    except ValueError:
        return False
    return network.version == 4 and network.subnet_of(APPLE_NET)


def mask_ip(raw: str) -> str:
    """The address's network (/24 for IPv4, /48 for IPv6): enough for the
    Apple rule, not enough to point at one machine. "" when it is no address."""
    try:
        ip = ipaddress.ip_address(raw.strip())
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def view_reason(user_agent: str, ip_net: str) -> str:
    if is_apple_proxy(user_agent, ip_net):
        return "apple_mpp"
    if agent_is_bot(user_agent):
        return "user_agent"
    return ""


def click_reason(user_agent: str, at: datetime, sent_at: datetime | None) -> str:
    if agent_is_bot(user_agent):
        return "user_agent"
    if sent_at is not None and timedelta(0) <= at - sent_at < TOO_SOON:
        return "too_soon"
    return ""


def every_link_bursts(clicks: Iterable[tuple[int, datetime]]) -> set[int]:
    """Of one subscriber's clicks on one campaign, (index, time) pairs where
    the value is the link id: the indexes of clicks inside a burst of
    EVERY_LINK_MIN or more distinct links within EVERY_LINK_WINDOW."""
    rows = sorted(enumerate(clicks), key=lambda r: r[1][1])
    flagged: set[int] = set()
    start = 0
    for end in range(len(rows)):
        while rows[end][1][1] - rows[start][1][1] > EVERY_LINK_WINDOW:
            start += 1
        window = rows[start : end + 1]
        if len({link for _, (link, _) in window}) >= EVERY_LINK_MIN:
            flagged.update(i for i, _ in window)
    return flagged
