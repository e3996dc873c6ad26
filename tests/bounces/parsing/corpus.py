"""The bounce corpus (tests/fixtures/bounces and its sub-folders), for every test
that walks it.

A message is named by its path relative to the corpus ("flufl_aol_01.eml",
"sisimai/rb__courier-02.eml"): that is its key in expected.json. The real
captures are flufl.bounce's samples (flufl_*) and Sisimai's set-of-emails
(sisimai/); the rest were written for stmails (see SOURCES.md).
"""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "bounces"
REAL_PREFIXES = ("flufl_", "sisimai/")


def corpus_files() -> list[Path]:
    """Every message of the corpus, sub-folders included, in a stable order."""
    return sorted(CORPUS.rglob("*.eml"), key=key)


def key(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def is_real(name: str) -> bool:
    return name.startswith(REAL_PREFIXES)
