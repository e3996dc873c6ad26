"""A seeded mutation fuzzer over the bounce corpus (deterministic: same seed, same cases)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from .corpus import corpus_files, key

_RUN_BYTES = b"a<>@-=_ \t;:.(\"'\r\n\xff\x00="
_INJECTED = [
    b'Content-Type: multipart/mixed; boundary="B"',
    b"Content-Type: message/delivery-status",
    b"Content-Type: text/html; charset=x-no-such-charset",
    b"Content-Transfer-Encoding: base64",
    b"Content-Transfer-Encoding: quoted-printable",
    "Return-Path: <bjørn@exämple.net>".encode(),
    b"Subject: =?x-unknown?q?Undelivered?= =?utf-8?b?!!!?=",
    b"From: =?utf-8?q?=FF=FE?= <MAILER-DAEMON@x>",
    b"X-Failed-Recipients: " + b"a@b.c, " * 50,
    b"Final-Recipient: rfc822; " + b"x" * 3000,
    b"Status: 5.1.1",
    b"Action: failed",
    b"Content-Type: multipart/report; report-type=feedback-report; boundary=",
]


def _flip(rng: random.Random, data: bytearray) -> None:
    for _ in range(rng.randint(1, 20)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)


def _truncate(rng: random.Random, data: bytearray) -> None:
    del data[rng.randrange(len(data) + 1) :]


def _duplicate_lines(rng: random.Random, data: bytearray) -> None:
    lines = bytes(data).split(b"\n")
    i = rng.randrange(len(lines))
    j = min(len(lines), i + rng.randint(1, 5))
    lines[i:i] = lines[i:j] * rng.randint(1, 10)
    data[:] = b"\n".join(lines)


def _huge_run(rng: random.Random, data: bytearray) -> None:
    # Mostly short runs (the cost of a case is mostly the stdlib's MIME parser);
    # one in twenty is long.
    length = (
        rng.randint(20_000, 100_000) if rng.random() < 0.05 else rng.randint(100, 4_000)
    )
    run = bytes([rng.choice(_RUN_BYTES)]) * length
    if rng.random() < 0.3:
        pattern = bytes(rng.choice(_RUN_BYTES) for _ in range(rng.randint(2, 16)))
        run = pattern * (length // len(pattern))
    at = rng.randrange(len(data) + 1)
    data[at:at] = run


def _inject_header(rng: random.Random, data: bytearray) -> None:
    lines = bytes(data).split(b"\n")
    at = rng.randrange(min(len(lines), 40) + 1)
    lines.insert(at, rng.choice(_INJECTED))
    data[:] = b"\n".join(lines)


def _damage_boundary(rng: random.Random, data: bytearray) -> None:
    text = bytes(data)
    starts: list[int] = []
    at = text.find(b"\n--")
    while at >= 0 and len(starts) < 50:
        starts.append(at)
        at = text.find(b"\n--", at + 1)
    if not starts:
        text = text.replace(b"boundary=", b"boundary=x", 1)
    else:
        at = rng.choice(starts) + 3  # the boundary's first character
        how = rng.randrange(3)
        if how == 0:
            text = text[:at] + text[at + rng.randint(1, 5) :]  # cut the boundary
        elif how == 1:
            text = text[:at] + b"--" + text[at:]  # a close where a part opens
        else:
            text = text[: at - 3] + text[at - 3 :].replace(b"\n--", b"\n", 1)
    data[:] = text


MUTATIONS: list[Callable[[random.Random, bytearray], None]] = [
    _flip,
    _truncate,
    _duplicate_lines,
    _huge_run,
    _inject_header,
    _damage_boundary,
]


def cases(seed: int, count: int) -> Iterator[tuple[str, bytes]]:
    """(description, mutated message) `count` times, from 1-3 mutations each."""
    rng = random.Random(seed)
    corpus = [(key(p), p.read_bytes()) for p in corpus_files()]
    for n in range(count):
        name, raw = corpus[n % len(corpus)]
        data = bytearray(raw)
        applied = []
        for _ in range(rng.randint(1, 3)):
            mutation = rng.choice(MUTATIONS)
            mutation(rng, data)
            applied.append(mutation.__name__.lstrip("_"))
        yield f"#{n} {name} {'+'.join(applied)}", bytes(data)
