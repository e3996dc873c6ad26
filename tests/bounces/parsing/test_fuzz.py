"""Seeded mutation fuzzing over the corpus: nothing escapes parse_message, nothing
goes over the CPU budget, and no mutation makes the parser itself fail.

20,000 cases (byte flips, truncations, duplicated lines, inserted huge runs,
injected headers, damaged boundaries; see mutations.py): about 30 s of CPU on
the 2-core development machine (29.2 s measured). Over budget is the budget's own verdict, not
a clock read by the test.
"""

from __future__ import annotations

import pytest

from bounces.parsing.message import DEFAULT_BUDGET_SECONDS, parse_within_budget

from .mutations import cases

pytestmark = pytest.mark.slow

SEED = 13
CASES = 20_000


def test_no_mutated_message_escapes_the_parser_or_its_budget():
    failures = []
    kinds: dict[str, int] = {}
    for description, raw in cases(SEED, CASES):
        parsed = parse_within_budget(raw, seconds=DEFAULT_BUDGET_SECONDS)
        kinds[parsed.kind] = kinds.get(parsed.kind, 0) + 1
        error = parsed.error or ""
        if error.startswith(("over the parse time budget", "parser error")):
            failures.append(f"{description}: {error}")
    assert failures == []
    # The mutations leave most messages readable: the fuzzer reaches the parsers.
    # (seed 13: nonstandard 8,507, not_bounce 5,866, dsn 2,357, delayed 1,385,
    # unparseable 776 (no headers left, or empty), arf 650, autoreply 459)
    assert kinds.get("dsn", 0) > CASES // 10
    assert kinds.get("nonstandard", 0) > CASES // 4
    assert kinds.get("arf", 0) > 0 and kinds.get("autoreply", 0) > 0
