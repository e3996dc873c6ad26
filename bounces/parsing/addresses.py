"""Finding and tidying email addresses in bounce text.

Every pattern here runs in linear time on hostile text: a match may only start
where a run of address characters starts (the look-behind), and every part is
bounded (RFC 5321: a local part is at most 64 characters, a domain label 63, an
address 320). A long run of letters without '@' is then read once, not once per
starting position.
"""

from __future__ import annotations

import re

MAX_ADDRESS = 320
_LOCAL_CHARS = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~.-"
_ADDR = (
    rf"(?<![{_LOCAL_CHARS}])[{_LOCAL_CHARS}]{{1,64}}"
    r"@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,16}"
)
ADDR_PATTERN = _ADDR
ADDR_RE = re.compile(_ADDR)
# Roles that write bounces; they are never the failed recipient.
_ROLE_RE = re.compile(
    r"^(?:postmaster|mailer-daemon|mailer_daemon|mail-daemon|mdaemon|"
    r"hostmaster|daemon)@",
    re.I,
)


def token_address_re(stop: str) -> re.Pattern[str]:
    """An address as one token between `stop` characters (DSN and ARF fields).

    Starts only at a token start, and both sides are bounded, so a long token
    without '@' costs one pass.
    """
    return re.compile(
        rf"(?<![^{stop}])[^{stop}@]{{1,64}}@[^{stop}]{{1,255}}(?![^{stop}])"
    )


def normalize_address(addr: str) -> str:
    """Strip decoration and lower-case the domain (local parts may be case-sensitive)."""
    addr = addr.strip().strip("<>\"'.,;:()[]")
    if addr.lower().startswith(("smtp=", "smtp:", "mailto:")):
        addr = addr[5:] if addr[4] in "=:" else addr[7:]
    local, _, domain = addr.rpartition("@")
    return f"{local}@{domain.lower()}" if local and domain else addr


def plausible(addr: str) -> bool:
    """A syntactically usable recipient: no mangled bytes, no "a..b@", a dotted domain."""
    local, _, domain = addr.rpartition("@")
    if not local or "\ufffd" in addr or ".." in local or len(addr) > MAX_ADDRESS:
        return False
    if local.startswith(".") or local.endswith("."):
        return False
    return "." in domain and not domain.endswith(".") and not domain.startswith(".")


def is_role(addr: str) -> bool:
    return bool(_ROLE_RE.match(addr))
