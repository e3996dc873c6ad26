"""What an import did, table by table: the progress lines and the final report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

EXAMPLES = 5  # rows named per skip reason (the count says how many in all)


def _example(shown: list[str], detail: str) -> None:
    if detail and detail not in shown and len(shown) < EXAMPLES:
        shown.append(detail)


@dataclass
class Tally:
    table: str
    total: int = 0  # rows in listmonk
    read: int = 0
    added: int = 0
    existing: int = 0  # there already (an earlier run): nothing added
    skipped: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    notes: Counter = field(default_factory=Counter)
    note_examples: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, reason: str, detail: str = "") -> None:
        self.skipped[reason] += 1
        _example(self.examples.setdefault(reason, []), detail)

    def note(self, text: str, detail: str = "") -> None:
        """Something of a row that came over changed (a type, a status) or not at all."""
        self.notes[text] += 1
        _example(self.note_examples.setdefault(text, []), detail)

    def line(self) -> str:
        return (
            f"{self.table}: {self.read}/{self.total} read, {self.added} added, "
            f"{self.existing} already there, {sum(self.skipped.values())} skipped"
        )


@dataclass
class ImportReport:
    progress: Callable[[str], None] = print
    tallies: dict[str, Tally] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    def tally(self, table: str, total: int = 0) -> Tally:
        if table not in self.tallies:
            self.tallies[table] = Tally(table, total=total)
        return self.tallies[table]

    def say(self, text: str) -> None:
        self.messages.append(text)
        self.progress(text)

    def added(self) -> int:
        return sum(t.added for t in self.tallies.values())

    def summary(self) -> list[str]:
        lines = ["", "Summary:"]
        for t in self.tallies.values():
            lines.append("  " + t.line())
            for reason, n in t.skipped.most_common():
                shown = "; ".join(t.examples.get(reason, []))
                lines.append(
                    f"    skipped {n}: {reason}" + (f" ({shown})" if shown else "")
                )
            for text, n in t.notes.most_common():
                shown = "; ".join(t.note_examples.get(text, []))
                lines.append(
                    f"    note ({n}): {text}" + (f" ({shown})" if shown else "")
                )
        lines += [
            f"  {m}" for m in self.messages if m.startswith(("views/", "settings"))
        ]
        return lines
