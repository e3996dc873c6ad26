"""SVG geometry for the dashboard's picture: pure, the template only draws it.

The flow is a ladder of horizontal 100 % bars, one per stage (sent, bounces by
type, by source, matched or not, actions), each split into its parts, with the
numbers written beside it: a bounce rate of 0.5 % would be invisible on one
shared scale. The daily charts reuse bounces.chart.stacked_bars.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bounces import chart
from monitoring.dashboard.rows import Flow

SENT_SERIES = ("campaign", "system")
SENT_COLORS = {"campaign": "#2f6fde", "system": "#8fb3ef"}
TYPE_COLORS = {**chart.COLORS, "unknown": "#98a2b3"}
MATCH_COLORS = {"matched": "#1e8e3e", "unmatched": "#98a2b3"}
ACTION_COLORS = {
    "blocklisted": "#c0392b",
    "unsubscribed": "#e0a030",
    "deleted": "#5b6270",
}
SYSTEM_PALETTE = ("#8fb3ef", "#5d8fe6", "#b7cdf4", "#3a5fa8")
SOURCE_PALETTE = ("#2f6fde", "#0f9d8a", "#8e44ad", "#d35400", "#2c3e50", "#16a085")

WIDTH = 900
LABEL_W = 150
TOTAL_W = 80
BAR_H = 26
STEP = 58  # bar plus the arrow to the next stage
MIN_SEGMENT = 3.0
CHAR_W = 6.6  # 12px sans-serif, generous


@dataclass
class Segment:
    key: str
    label: str
    n: int
    color: str
    x: float = 0.0
    width: float = 0.0
    text_x: float = 0.0
    show_text: bool = False

    @property
    def title(self) -> str:
        return f"{self.label}: {self.n}"


@dataclass
class Stage:
    key: str
    label: str
    note: str
    segments: list[Segment] = field(default_factory=list)
    y: float = 0.0
    text_y: float = 0.0
    note_y: float = 0.0

    @property
    def total(self) -> int:
        return sum(s.n for s in self.segments)


def _layout(stage: Stage, left: float, width: float) -> None:
    parts = [s for s in stage.segments if s.n > 0]
    stage.segments = parts
    if not parts:
        return
    total = stage.total
    # Tiny parts stay visible: every part gets a few pixels, the rest shrink.
    raw = [max(MIN_SEGMENT, s.n / total * width) for s in parts]
    scale = width / sum(raw)
    x = left
    for seg, w in zip(parts, raw, strict=True):
        seg.x, seg.width = round(x, 2), round(w * scale, 2)
        seg.text_x = round(x + 6, 2)
        seg.show_text = seg.width > len(seg.title) * CHAR_W + 12
        x += w * scale


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def flow_stages(flow: Flow) -> list[Stage]:
    """The five stages; each note, written under its bar, leads to the next stage."""
    by_type = flow.by_type
    sources = [s for s in flow.sources if s.total]
    acted = sum(flow.actions.values())
    return [
        Stage(
            "sent",
            "Sent",
            f"{flow.received} came back as bounces ({_pct(flow.received, flow.sent)})",
            [
                Segment(
                    "campaign", "campaigns", flow.campaign_sent, SENT_COLORS["campaign"]
                )
            ]
            + [
                Segment(
                    f"system-{kind}",
                    label,
                    n,
                    SYSTEM_PALETTE[i % len(SYSTEM_PALETTE)],
                )
                for i, (kind, label, n) in enumerate(flow.system_sent_rows)
            ],
        ),
        Stage(
            "types",
            "Bounces by type",
            f"reported by {_plural(len(sources), 'source')}",
            [
                Segment(t, t, n, TYPE_COLORS.get(t, "#98a2b3"))
                for t, n in by_type.items()
            ],
        ),
        Stage(
            "sources",
            "By source",
            f"{flow.matched} matched a subscriber, {flow.unmatched_total} unmatched",
            [
                Segment(
                    s.key, s.label, s.total, SOURCE_PALETTE[i % len(SOURCE_PALETTE)]
                )
                for i, s in enumerate(sources)
            ],
        ),
        Stage(
            "matching",
            "Matched",
            f"{_plural(acted, 'action')} taken"
            + (f", {flow.reverted} undone since" if flow.reverted else ""),
            [
                Segment("matched", "matched", flow.matched, MATCH_COLORS["matched"]),
                Segment(
                    "unmatched",
                    "unmatched",
                    flow.unmatched_total,
                    MATCH_COLORS["unmatched"],
                ),
            ],
        ),
        Stage(
            "actions",
            "Actions taken",
            "",
            [Segment(k, k, n, ACTION_COLORS[k]) for k, n in flow.actions.items()],
        ),
    ]


def flow_picture(flow: Flow, *, width: int = WIDTH) -> dict:
    """The flow ladder's geometry: stages with their segments, arrows between."""
    stages = flow_stages(flow)
    left, bar_w = LABEL_W, width - LABEL_W - TOTAL_W
    for i, stage in enumerate(stages):
        stage.y = 8 + i * STEP
        stage.text_y = stage.y + BAR_H / 2 + 4
        stage.note_y = stage.y + BAR_H + 17
        _layout(stage, left, bar_w)
    arrows = [
        {"x": left + 10, "y1": s.y + BAR_H + 3, "y2": s.y + STEP - 5}
        for s in stages[:-1]
    ]
    return {
        "width": width,
        "height": 8 + len(stages) * STEP - (STEP - BAR_H) + 8,
        "left": left,
        "bar_w": bar_w,
        "bar_h": BAR_H,
        "note_x": left + 24,
        "total_x": width - TOTAL_W + 8,
        "stages": stages,
        "arrows": arrows,
    }


def daily_charts(flow: Flow) -> dict:
    return {
        "sent": chart.stacked_bars(
            flow.daily_sent, height=150, series=SENT_SERIES, colors=SENT_COLORS
        ),
        "bounces": chart.stacked_bars(flow.daily_bounces, height=150),
    }
