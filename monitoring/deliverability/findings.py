"""What a check reports: findings with a severity and plain-words advice."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    OK = "ok"
    # A note that changes no status ("DKIM alignment is not visible in DNS").
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    # A lookup failed: not the same as a missing record.
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Severity.OK: "OK",
    Severity.INFO: "Note",
    Severity.WARNING: "Warning",
    Severity.ERROR: "Problem",
    Severity.UNKNOWN: "Could not check",
}


# Worst first decides a section's colour; "could not check" sits between
# warning and error: it hides nothing worse than an error we did find.
_RANK = {
    Severity.INFO: 0,
    Severity.OK: 1,
    Severity.WARNING: 2,
    Severity.UNKNOWN: 3,
    Severity.ERROR: 4,
}


@dataclass(frozen=True)
class Finding:
    severity: Severity
    title: str
    explanation: str
    fix: str = ""


@dataclass
class Section:
    """One check of one domain (SPF, one DKIM selector, DMARC, ...)."""

    label: str
    name: str  # the DNS name looked up
    records: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def add(
        self, severity: Severity, title: str, explanation: str, fix: str = ""
    ) -> None:
        self.findings.append(Finding(severity, title, explanation, fix))

    @property
    def status(self) -> Severity:
        return worst(f.severity for f in self.findings)

    def has(self, title_start: str) -> bool:
        return any(f.title.startswith(title_start) for f in self.findings)


def worst(severities) -> Severity:
    return max(severities, key=_RANK.__getitem__, default=Severity.OK)


@dataclass
class DomainReport:
    domain: str
    roles: list[str]
    sources: list[str]
    sections: list[Section]

    @property
    def status(self) -> Severity:
        return worst(s.status for s in self.sections)
