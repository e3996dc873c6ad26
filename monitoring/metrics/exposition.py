"""The Prometheus text exposition format (version 0.0.4): pure, metrics in, text out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class Metric:
    name: str
    kind: str  # counter | gauge
    help: str
    # (labels as ((name, value), ...), value)
    samples: list[tuple[tuple[tuple[str, str], ...], float]] = field(
        default_factory=list
    )


def escape_label(value: str) -> str:
    """Label values escape backslash, double quote and line feed."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(text: str) -> str:
    """HELP text escapes backslash and line feed (quotes stay as they are)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _format_value(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def render(metrics: Iterable[Metric]) -> str:
    """Pure: metrics in, exposition text out."""
    lines: list[str] = []
    for metric in metrics:
        lines.append(f"# HELP {metric.name} {escape_help(metric.help)}")
        lines.append(f"# TYPE {metric.name} {metric.kind}")
        for labels, value in metric.samples:
            if labels:
                inner = ",".join(f'{k}="{escape_label(v)}"' for k, v in labels)
                lines.append(f"{metric.name}{{{inner}}} {_format_value(value)}")
            else:
                lines.append(f"{metric.name} {_format_value(value)}")
    return "\n".join(lines) + "\n"
