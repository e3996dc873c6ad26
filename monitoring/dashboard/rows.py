"""The dashboard's figures for a period, as plain rows (filled by flow.mail_flow)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bounces import chart
from monitoring.dashboard.period import Period
from stmails.models import OutgoingMail

TYPES = chart.TYPES


@dataclass
class SourceRow:
    """Bounces one source reported in the period: recorded by type, and unmatched."""

    kind: str  # mailbox | provider | api | smtp
    key: str  # mailbox name, provider name ("ses", "custom:x"), "api" or "smtp"
    label: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TYPES, 0))
    unmatched: int = 0
    detail: str = ""  # the API's own source names

    @property
    def recorded(self) -> int:
        return sum(self.counts.values())

    @property
    def total(self) -> int:
        return self.recorded + self.unmatched


@dataclass
class UnmatchedRow:
    source: str
    reason: str
    count: int


@dataclass
class CampaignRow:
    """A campaign that sent or got bounces in the period.

    Its rates put the bounces that arrived in the period against everything
    the campaign has sent: a late bounce still counts for its campaign, and
    the figure never passes 100 %. (Counting each campaign's whole bounce
    history would read every bounce it ever got, on every page view.)
    """

    id: int
    name: str
    status: str
    sent_in_period: int
    sent: int
    counts: dict[str, int]  # bounces in the period, by type

    @property
    def bounces_in_period(self) -> int:
        return sum(self.counts.values())

    @property
    def bounce_rate(self) -> float | None:
        return _percent(self.counts["hard"] + self.counts["soft"], self.sent)

    @property
    def complaint_rate(self) -> float | None:
        return _percent(self.counts["complaint"], self.sent)


@dataclass
class Flow:
    period: Period
    campaign_sent: int
    system_sent: dict[str, int]  # OutgoingMail.kind -> sent
    sources: list[SourceRow]
    unmatched: list[UnmatchedRow]
    unmatched_by_type: dict[str, int]  # type ("" unknown) -> unmatched entries
    actions: dict[str, int]  # "blocklisted" | "unsubscribed" | "deleted" -> count
    reverted: int
    campaigns: list[CampaignRow]
    more_campaigns: int
    daily_sent: list[chart.Day]
    daily_bounces: list[chart.Day]

    @property
    def sent(self) -> int:
        return self.campaign_sent + sum(self.system_sent.values())

    @property
    def system_sent_rows(self) -> list[tuple[str, str, int]]:
        """(kind, label an admin reads, sent) per system mail kind."""
        return [
            (kind, OutgoingMail.kind_label(kind), n)
            for kind, n in self.system_sent.items()
        ]

    @property
    def recorded_by_type(self) -> dict[str, int]:
        return {t: sum(s.counts[t] for s in self.sources) for t in TYPES}

    @property
    def by_type(self) -> dict[str, int]:
        """Every bounce received, unmatched ones included ("unknown": unreadable)."""
        out = self.recorded_by_type
        for btype, n in self.unmatched_by_type.items():
            key = btype if btype in TYPES else "unknown"
            out[key] = out.get(key, 0) + n
        return out

    @property
    def matched(self) -> int:
        return sum(s.recorded for s in self.sources)

    @property
    def unmatched_total(self) -> int:
        return sum(r.count for r in self.unmatched)

    @property
    def received(self) -> int:
        return self.matched + self.unmatched_total

    @property
    def bounce_rate(self) -> float | None:
        """Recorded hard and soft bounces per message sent in the period, in %.

        Unmatched bounces are left out: they name no subscriber, so they may
        not even answer mail of ours.
        """
        recorded = self.recorded_by_type
        return _percent(recorded["hard"] + recorded["soft"], self.sent)

    @property
    def complaint_rate(self) -> float | None:
        return _percent(self.recorded_by_type["complaint"], self.sent)


def _percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None
