"""Finding and tidying email addresses in bounce text."""

from __future__ import annotations

import re

_ADDR = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
ADDR_PATTERN = _ADDR
ADDR_RE = re.compile(_ADDR)
# Roles that write bounces; they are never the failed recipient.
_ROLE_RE = re.compile(
    r"^(?:postmaster|mailer-daemon|mailer_daemon|mail-daemon|mdaemon|"
    r"hostmaster|daemon)@",
    re.I,
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
    if not local or "\ufffd" in addr or ".." in local:
        return False
    if local.startswith(".") or local.endswith("."):
        return False
    return "." in domain and not domain.endswith(".") and not domain.startswith(".")


def is_role(addr: str) -> bool:
    return bool(_ROLE_RE.match(addr))
