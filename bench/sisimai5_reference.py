"""Sisimai 5's own verdicts as a reference for bench/bench_sisimai_oracle.py.

tests/fixtures/bounces/sisimai/SISIMAI5.json holds, for the corpus files that
are e-mails of Sisimai's set-of-emails, the rows Sisimai 5's test suite expects
(go-sisimai fact/*_test.go; SOURCES.md says how they were mapped). The rows name
no addresses and no DSN Action: events are paired per file, and the few rows
that are delay warnings, name no recipient or repeat one carry a note added by
hand that says so.
"""

from __future__ import annotations

import json
from pathlib import Path

from bounces.parsing.message import parse_message

SISIMAI5 = Path("sisimai") / "SISIMAI5.json"  # relative to the corpus
NOT_BOUNCES = {"vacation", "delivered"}  # as for Sisimai 4.25: stmails records none
# Sisimai 5 merged mesgtoobig and exceedlimit into emailtoolarge.
REASON_EQUIVALENTS_5 = {
    "mesgtoobig": {"emailtoolarge"},
    "exceedlimit": {"emailtoolarge"},
}


def figures_of(counts: dict) -> dict[str, float]:
    """The four figures from the pair counts (both references use these)."""
    both = counts["both"] or 1
    return {
        "recipients": counts["both"] / (counts["ref"] or 1),
        "precision": counts["both"] / (counts["ours"] or 1),
        "type agreement": counts["type_ok"] / both,
        "reason agreement": counts["reason_ok"] / both,
    }


def reasons_agree(ours: str, theirs: str) -> bool:
    if theirs in ("onhold", "undefined"):
        return True  # Sisimai found no reason
    return ours == theirs or theirs in REASON_EQUIVALENTS_5.get(ours, ())


def sisimai5_bounces(entries: list[dict]) -> list[dict]:
    """Sisimai 5's entries that stmails should record too, in the table's order."""
    found = []
    for e in entries:
        if e["reason"] in NOT_BOUNCES or e.get("action") == "delayed":
            continue
        if e.get("recipient"):
            continue  # names no recipient, or one already listed (see SISIMAI5.json)
        if e["reason"] == "feedback" and e.get("feedbacktype") == "auth-failure":
            continue  # a DMARC failure report: no complaint by stmails' policy
        if e["reason"] == "feedback":
            kind = "complaint"
        else:
            kind = "hard" if e["hardbounce"] else "soft"
        found.append({"type": kind, "reason": e["reason"]})
    return found


def pair_in_order(ref: list[dict], ours: list[dict]) -> list[tuple[int, int]]:
    """(ref index, ours index) pairs, in three passes: each reference entry takes
    the first free event of the same type and an agreeing reason, then of the
    same type, then any. Without addresses this is the fairest match: a count, a
    type or a reason that differs still shows up."""

    def same_type_and_reason(r: dict, o: dict) -> bool:
        return r["type"] == o["type"] and reasons_agree(
            o.get("reason", ""), r.get("reason", "")
        )

    free = list(range(len(ours)))
    pairs = {}
    for fits in (
        same_type_and_reason,
        lambda r, o: r["type"] == o["type"],
        lambda r, o: True,
    ):
        for i, r in enumerate(ref):
            if i in pairs:
                continue
            j = next((j for j in free if fits(r, ours[j])), None)
            if j is not None:
                free.remove(j)
                pairs[i] = j
    return sorted(pairs.items())


def compare_sisimai5(
    reference: dict[str, list[dict]], parsed: dict[str, list[dict]]
) -> tuple[dict[str, float], list[str], dict]:
    """Figures, disagreement lines and counts against Sisimai 5's verdicts.

    reference: {file: Sisimai 5 entries}; parsed: {file: stmails' events,
    each {email, type, reason}}; only the files in reference count."""
    counts = dict(ref=0, ours=0, both=0, type_ok=0, reason_ok=0, files=len(reference))
    lines = []
    for name in sorted(reference):
        ref = sisimai5_bounces(reference[name])
        ours = parsed.get(name, [])
        counts["ref"] += len(ref)
        counts["ours"] += len(ours)
        pairs = pair_in_order(ref, ours)
        for i, j in pairs:
            r, o = ref[i], ours[j]
            counts["both"] += 1
            type_ok = r["type"] == o["type"]
            reason_ok = reasons_agree(o["reason"], r["reason"])
            counts["type_ok"] += type_ok
            counts["reason_ok"] += reason_ok
            if not (type_ok and reason_ok):
                lines.append(
                    f"{name}: {o['email']}: stmails {o['type']}/{o['reason']}"
                    f" vs Sisimai 5 {r['type']}/{r['reason']}"
                )
        for i in sorted(set(range(len(ref))) - {i for i, _ in pairs}):
            lines.append(
                f"{name}: entry {i + 1}: missed (Sisimai 5"
                f" {ref[i]['type']}/{ref[i]['reason']})"
            )
        for j in sorted(set(range(len(ours))) - {j for _, j in pairs}):
            o = ours[j]
            lines.append(
                f"{name}: {o['email']}: stmails {o['type']}/{o['reason']},"
                " Sisimai 5 reports nothing"
            )
    return figures_of(counts), lines, counts


def family_of(set_of_emails_path: str) -> str:
    """ "set-of-emails/maildir/bsd/lhost-postfix-03.eml" -> "lhost-postfix"."""
    stem = set_of_emails_path.rsplit("/", 1)[-1].removesuffix(".eml")
    return stem.rsplit("-", 1)[0] if stem[-1:].isdigit() else stem


def by_family(
    reference: dict[str, list[dict]],
    parsed: dict[str, list[dict]],
    paths: dict[str, str],
) -> dict[str, dict]:
    """compare_sisimai5's counts per Sisimai family (lhost-*, rhost-*, arf, rfc*),
    paths mapping each corpus file to its set-of-emails path (SISIMAI5.json's
    _about.files)."""
    groups: dict[str, dict[str, list[dict]]] = {}
    for name, entries in reference.items():
        groups.setdefault(family_of(paths.get(name, name)), {})[name] = entries
    return {
        family: compare_sisimai5(files, parsed)[2]
        for family, files in sorted(groups.items())
    }


def run_sisimai5(
    corpus: Path,
) -> tuple[dict[str, float], list[str], dict, dict[str, dict]]:
    reference = json.loads((corpus / SISIMAI5).read_text())
    about = reference.pop("_about", {})
    parsed = {
        name: [
            {"email": e.email.lower(), "type": e.type, "reason": e.reason or ""}
            for e in parse_message((corpus / name).read_bytes()).events
        ]
        for name in reference
    }
    figures, lines, counts = compare_sisimai5(reference, parsed)
    families = by_family(reference, parsed, about.get("files", {}))
    return figures, lines, counts, families
