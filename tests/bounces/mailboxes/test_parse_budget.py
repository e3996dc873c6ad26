"""A message whose parse would never end is cut off by the CPU budget, kept and listed.

The slow parse is made artificially (monkeypatched): it burns CPU until the
budget's timer interrupts it. Nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import signal
import threading

import pytest

from bounces.mailboxes import batches, scanning
from bounces.models import Bounce, MailboxMessage, RawMessage, UnmatchedBounce
from bounces.parsing import budget, message, mime
from bounces.parsing.events import ParsedMessage
from tests.bounces.mailboxes.helpers import configure
from tests.bounces.mailboxes.messages import dsn

STUCK = b"X-Test-Stuck: yes"


def _burn_forever() -> None:
    n = 0
    while True:
        try:
            n += 1
        except Exception:  # noqa: BLE001, S110 - like careless code in a parser
            pass


@pytest.fixture
def stuck_parser(monkeypatch):
    """_parse never ends for messages carrying the STUCK header; the others parse."""
    real = message._parse

    def parse(raw: bytes, max_bytes: int) -> ParsedMessage:
        if STUCK in raw:
            _burn_forever()
        return real(raw, max_bytes)

    monkeypatch.setattr(message, "_parse", parse)
    monkeypatch.setattr(batches, "PARSE_BUDGET_SECONDS", 0.2)


@pytest.mark.parametrize("kind", ["pop", "imap"])
def test_an_over_budget_message_is_listed_kept_and_the_scan_goes_on(
    bounces_on, mail_user, make_subscriber, stuck_parser, kind
):
    first = make_subscriber("first@example.com")
    second = make_subscriber("second@example.com")
    stuck = dsn(first.email, n=1).replace(
        b"Return-Path: <>", b"Return-Path: <>\r\n" + STUCK
    )
    assert STUCK in stuck
    mail_user.deliver(stuck)
    mail_user.deliver(dsn(second.email, n=2))
    [box] = configure(mail_user.box(kind))

    result = scanning.scan_mailbox(box)

    assert result.error == ""
    assert (result.seen, result.unparseable) == (2, 1)
    assert result.recorded["hard"] == 1
    assert Bounce.objects.get().subscriber_id == second.id
    row = UnmatchedBounce.objects.get()
    assert row.reason == UnmatchedBounce.Reason.UNPARSEABLE
    assert "over the parse time budget (0.2 s of CPU)" in row.detail
    assert STUCK in bytes(RawMessage.objects.get(pk=row.raw_message_id).data)
    assert MailboxMessage.objects.filter(outcome="unparseable").count() == 1
    # Never deleted: the stuck message is still in the mailbox, the bounce is gone.
    assert mail_user.count() == 1
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


def test_the_budget_interrupts_code_that_swallows_exceptions():
    with pytest.raises(budget.OverBudget):
        budget.run_within_budget(0.05, _burn_forever)
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
    assert budget.run_within_budget(0.05, sum, [1, 2]) == 3


def test_off_the_main_thread_the_parser_loops_check_the_budget(monkeypatch):
    """No signals in a thread: the check inside parse_blocks' loop stops it."""
    real = mime.parse_blocks

    def endless_blocks(text: str) -> list:
        while True:
            real(text)

    monkeypatch.setattr(message.dsn, "parse_blocks", endless_blocks)
    # A report whose boundary never comes: its fields are read from the text.
    raw = (
        b'From: x@y.org\nContent-Type: multipart/report; boundary="B"\n\n'
        b"Final-Recipient: rfc822; a@example.com\nAction: failed\n"
    )
    out: list[ParsedMessage] = []

    def run() -> None:
        out.append(message.parse_within_budget(raw, seconds=0.05))

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert out[0].kind == "unparseable"
    assert out[0].error == "over the parse time budget (0.05 s of CPU)"
