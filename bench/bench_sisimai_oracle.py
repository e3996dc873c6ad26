"""Oracle comparison: stmails' parser against Sisimai on every corpus message.

Sisimai (Debian libsisimai-perl, `perl -MSisimai`) is the most complete bounce
analyser; its verdicts serve as the reference. Both run over every message of
tests/fixtures/bounces and its sub-folders (Sisimai in one perl process, one batch). Printed:

- recipients found: of the recipients Sisimai reports, the share stmails reports;
- precision: of the recipients stmails reports, the share Sisimai reports too;
- type agreement (hard/soft/complaint) and reason agreement over the recipients
  both report;
- every disagreement, one line each.

What counts as Sisimai's bounce: a recipient whose reason is not vacation or
delivered and whose DSN action is not "delayed" (stmails records nothing for
auto-replies, delivery reports and delay warnings, by policy), whose address is
not Sisimai's stand-in for a report that names none (the .invalid domain, RFC
2606), and that is not an ARF auth-failure report (RFC 6591: a DMARC/SPF failure
report about the message, which says nothing of the subscriber: stmails records
no complaint for it, by policy; see bounces/parsing/arf.py). Sisimai 4.x has
no authfailure/requireptr/badreputation/ratelimited/speeding/notcompliantrfc
reasons (5.x added them): REASON_EQUIVALENTS maps them to its older names for
the reason comparison, and a Sisimai "onhold"/"undefined" agrees with any
stmails reason (it means Sisimai found none).

The figures are printed twice: for the real captures only (flufl_*, sisimai/*;
the messages written for stmails model formats and could flatter either side)
and for the whole corpus. Targets (issue 13), judged on the real captures:
recipients >= 0.97, precision >= 0.99, type agreement >= 0.92. Exits 1 when one
is missed, 2 when Sisimai is not installed.

`--reference sisimai5` compares with Sisimai 5's own verdicts instead (the
version issue 13's check used): its test tables for the corpus files that are
set-of-emails messages it covers (tests/fixtures/bounces/sisimai/SISIMAI5.json,
see SOURCES.md). The tables name no addresses, so the events are matched per
file (same type and reason first, then same type, then in order); what counts
as a bounce follows the rules
above. Needs no perl.

    .venv/bin/python bench/bench_sisimai_oracle.py [--corpus DIR] [--quiet]
    .venv/bin/python bench/bench_sisimai_oracle.py --reference sisimai5
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import emit  # noqa: E402

from bench.sisimai5_reference import SISIMAI5, figures_of, run_sisimai5  # noqa: E402
from bounces.parsing.message import parse_message  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "bounces"
TARGETS = {"recipients": 0.97, "precision": 0.99, "type agreement": 0.92}
# Sisimai 4.x names for the reasons 5.x added (its generic 5.7.x answer is
# securityerror; DMARC texts are its policyviolation).
REASON_EQUIVALENTS = {
    "authfailure": {"securityerror", "policyviolation"},
    "requireptr": {"blocked", "securityerror"},
    "badreputation": {"blocked", "securityerror"},
    "ratelimited": {"toomanyconn", "securityerror"},
    "speeding": {"toomanyconn", "securityerror"},
    "notcompliantrfc": {"contenterror", "securityerror"},
}
NOT_BOUNCES = {"vacation", "delivered"}
# The real captures (the rest was written for stmails): flufl.bounce's samples
# and Sisimai's set-of-emails (tests/fixtures/bounces/SOURCES.md).
REAL_PREFIXES = ("flufl_", "sisimai/")

PERL = r"""
use strict; use warnings; use Sisimai; use JSON::PP;
my $json = JSON::PP->new->canonical->utf8;
for my $path (@ARGV) {
    my @found;
    my $data = eval { Sisimai->make($path, 'delivered' => 1, 'vacation' => 1) } || [];
    for my $e (@$data) {
        push @found, {
            'email' => lc($e->recipient->address // ''),
            'reason' => $e->reason // '',
            'softbounce' => $e->softbounce,
            'action' => $e->action // '',
            'status' => $e->deliverystatus // '',
            'agent' => $e->smtpagent // '',
            'feedbacktype' => $e->feedbacktype // '',
        };
    }
    print $json->encode({'file' => $path, 'events' => \@found}), "\n";
}
"""


def sisimai_verdicts(paths: list[Path], corpus: Path) -> dict[str, list[dict]]:
    """{file (relative to the corpus): Sisimai's events}, from one perl process."""
    out = subprocess.run(
        ["perl", "-e", PERL, *map(str, paths)],
        capture_output=True,
        check=True,
        timeout=600,
    ).stdout
    verdicts = {}
    for line in out.decode("utf-8", "replace").splitlines():
        item = json.loads(line)
        verdicts[Path(item["file"]).relative_to(corpus).as_posix()] = item["events"]
    return verdicts


def sisimai_bounces(events: list[dict]) -> dict[str, dict]:
    """{recipient: {type, reason}} of the events stmails should record too."""
    found = {}
    for e in events:
        if e["reason"] in NOT_BOUNCES or e["action"] == "delayed" or not e["email"]:
            continue
        if e["email"].endswith(".invalid"):
            continue  # Sisimai's stand-in when a report names no recipient
        if e["reason"] == "feedback" and e.get("feedbacktype") == "auth-failure":
            continue  # a DMARC failure report: no complaint by stmails' policy
        if e["reason"] == "feedback":
            kind = "complaint"
        else:
            kind = "soft" if e["softbounce"] else "hard"
        found[e["email"]] = {"type": kind, "reason": e["reason"], "agent": e["agent"]}
    return found


def stmails_bounces(raw: bytes) -> dict[str, dict]:
    return {
        e.email.lower(): {"type": e.type, "reason": e.reason or ""}
        for e in parse_message(raw).events
    }


def reasons_agree(ours: str, theirs: str) -> bool:
    if theirs in ("onhold", "undefined"):
        return True
    return ours == theirs or theirs in REASON_EQUIVALENTS.get(ours, ())


def corpus_expectations(corpus: Path) -> dict[str, dict[str, str]]:
    """{file: {recipient: type}} from the corpus's checked expected.json, if any."""
    path = corpus / "expected.json"
    if not path.exists():
        return {}
    return {
        name: {e["email"].lower(): e["type"] for e in events}
        for name, events in json.loads(path.read_text()).items()
    }


def is_real(name: str) -> bool:
    return name.startswith(REAL_PREFIXES)


def compare(corpus: Path) -> dict[str, tuple[dict[str, float], list[str], dict]]:
    """{"real": (figures, lines, counts), "all": (...)}."""
    paths = sorted(corpus.rglob("*.eml"))
    names = {path: path.relative_to(corpus).as_posix() for path in paths}
    verdicts = sisimai_verdicts(paths, corpus)
    checked = corpus_expectations(corpus)
    results = {}
    for subset in ("real", "all"):
        chosen = [p for p in paths if subset == "all" or is_real(names[p])]
        results[subset] = _compare(chosen, names, verdicts, checked)
    for prefix in REAL_PREFIXES:  # each real source alone, for the record
        chosen = [p for p in paths if names[p].startswith(prefix)]
        results[prefix] = _compare(chosen, names, verdicts, checked)
    return results


def _compare(paths, names, verdicts, checked):  # type: ignore[no-untyped-def]
    counts = dict(ref=0, ours=0, both=0, type_ok=0, reason_ok=0, files=len(paths))
    counts["checked"] = 0  # disagreements where the corpus's expectation is stmails'
    lines = []
    for path in paths:
        name = names[path]
        ref = sisimai_bounces(verdicts.get(name, []))
        ours = stmails_bounces(path.read_bytes())
        before = len(lines)
        counts["ref"] += len(ref)
        counts["ours"] += len(ours)
        for addr in sorted(set(ref) | set(ours)):
            r, o = ref.get(addr), ours.get(addr)
            if r and o:
                counts["both"] += 1
                counts["type_ok"] += r["type"] == o["type"]
                counts["reason_ok"] += reasons_agree(o["reason"], r["reason"])
                if r["type"] != o["type"] or not reasons_agree(
                    o["reason"], r["reason"]
                ):
                    lines.append(
                        f"{name}: {addr}: stmails {o['type']}/{o['reason']}"
                        f" vs Sisimai {r['type']}/{r['reason']} ({r['agent']})"
                    )
            elif r:
                lines.append(
                    f"{name}: {addr}: missed (Sisimai {r['type']}/{r['reason']},"
                    f" {r['agent']})"
                )
            else:
                lines.append(
                    f"{name}: {addr}: stmails {o['type']}/{o['reason']},"
                    " Sisimai reports nothing"
                )
        if name in checked:
            want = checked[name]
            for i in range(before, len(lines)):
                addr = lines[i].split(": ")[1]
                mine = ours.get(addr, {}).get("type")
                if want.get(addr) == mine:  # both None: stmails rightly recorded none
                    lines[i] += "  [corpus expectation = stmails]"
                    counts["checked"] += 1
    return figures_of(counts), lines, counts


def emit_figure(bench: str, name: str, value: float) -> None:
    """One agreement figure for `make bench`'s summary (no target: reasons)."""
    target = TARGETS.get(name)
    emit(bench, name, round(value, 3),
         target=f">= {target:.2f}" if target is not None else "",
         passed=None if target is None else value >= target)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--quiet", action="store_true", help="no disagreement list")
    parser.add_argument(
        "--reference",
        choices=("sisimai4", "sisimai5"),
        default="sisimai4",
        help="Debian's Sisimai 4.25 run on the corpus (default), or Sisimai 5's"
        " own verdicts for the set-of-emails messages (SISIMAI5.json)",
    )
    args = parser.parse_args()
    if args.reference == "sisimai5":
        return main_sisimai5(args)
    try:
        results = compare(args.corpus)
    except FileNotFoundError:
        print("perl not found: apt-get install libsisimai-perl", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as e:
        print(f"Sisimai failed: {e.stderr.decode()[:500]}", file=sys.stderr)
        return 2
    failed = False
    for subset, title in (("real", "Real messages only"), ("all", "All messages")):
        figures, lines, counts = results[subset]
        print(
            f"{title} ({'*, '.join(REAL_PREFIXES) + '*' if subset == 'real' else 'corpus'}):"
            f" {counts['files']} messages; Sisimai reports {counts['ref']} recipients,"
            f" stmails {counts['ours']}, both {counts['both']}"
        )
        for name, value in figures.items():
            target = TARGETS.get(name)
            verdict = ""
            if target is not None:
                ok = value >= target
                if subset == "real":  # the targets are judged on real messages
                    failed |= not ok
                verdict = f"  (target >= {target:.2f}: {'ok' if ok else 'MISSED'})"
            print(f"{name:>17}: {value:.3f}{verdict}")
            if subset == "real":
                emit_figure("sisimai oracle (4.25, real messages)", name, value)
        print(
            f"{counts['checked']} of {len(lines)} disagreements are cases where the"
            " corpus's checked expectation (expected.json) is stmails' answer\n"
        )
    for prefix in REAL_PREFIXES:
        figures, _, counts = results[prefix]
        print(
            f"{prefix}*: {counts['files']} messages, Sisimai {counts['ref']},"
            f" stmails {counts['ours']}, both {counts['both']}: "
            + ", ".join(f"{name} {value:.3f}" for name, value in figures.items())
        )
    if not args.quiet:
        lines = results["all"][1]
        print(f"{len(lines)} disagreements (all messages):")
        for line in lines:
            print(f"  {line}")
    return 1 if failed else 0


def main_sisimai5(args: argparse.Namespace) -> int:
    figures, lines, counts, families = run_sisimai5(args.corpus)
    print(
        f"Against Sisimai 5's verdicts ({SISIMAI5}): {counts['files']} messages;"
        f" Sisimai 5 reports {counts['ref']} recipients, stmails {counts['ours']},"
        f" both {counts['both']}"
    )
    failed = False
    for name, value in figures.items():
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            failed |= value < target
            ok = "ok" if value >= target else "MISSED"
            verdict = f"  (target >= {target:.2f}: {ok})"
        print(f"{name:>17}: {value:.3f}{verdict}")
        emit_figure("sisimai oracle (Sisimai 5)", name, value)
    print(
        f"{len(families)} families (messages, Sisimai 5 recipients, found,"
        " precision misses, type agreements):"
    )
    print(
        "  "
        + "; ".join(
            f"{family} {c['files']}/{c['ref']}/{c['both']}/{c['ours'] - c['both']}"
            f"/{c['type_ok']}"
            for family, c in families.items()
        )
    )
    if not args.quiet:
        print(f"{len(lines)} disagreements:")
        for line in lines:
            print(f"  {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
